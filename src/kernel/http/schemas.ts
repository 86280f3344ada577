import { Type, type TSchema, type TObject, type TProperties } from 'typebox';

/** Request bodies and queries reject unknown fields (SPEC §8). */
export function StrictObject<P extends TProperties>(properties: P, options: Record<string, unknown> = {}): TObject<P> {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

export const ErrorEnvelopeSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, e.g. VALIDATION_FAILED' }),
      message: Type.String(),
      request_id: Type.String(),
      details: Type.Optional(
        Type.Array(Type.Object({ field: Type.Optional(Type.String()), message: Type.String() }, { additionalProperties: true })),
      ),
    }),
  },
  { $id: 'ErrorEnvelope', title: 'ErrorEnvelope' },
);

/** One page of a list, as every paged route answers it (`page`/`size` as asked, ordered stably). */
export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    page: Type.Integer(),
    size: Type.Integer(),
    total: Type.Integer(),
    has_next: Type.Boolean(),
    has_prev: Type.Boolean(),
  });
}

/** The page fields of a PageOf answer for the query's `page`/`size` and the total found. */
export function pageFields(q: { page: number; size: number }, total: number) {
  return { page: q.page, size: q.size, total, has_next: q.page * q.size < total, has_prev: q.page > 1 };
}

/** Standard error responses to merge into a route's `response` schema. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, Type.Ref('ErrorEnvelope')]));
}

/**
 * What the server adds to every documented route: any 4xx or 5xx it does not describe itself is
 * still the envelope (a status listed by the route wins over its range).
 */
export function defaultErrorResponses(): Record<string, TSchema> {
  return { '4xx': Type.Ref('ErrorEnvelope'), '5xx': Type.Ref('ErrorEnvelope') };
}

/**
 * Every route states who may call it (`schema.security`), public ones too: an operation without it
 * reads as "unspecified" to tools (redocly's security-defined), not as "public".
 */
export const PUBLIC: { [scheme: string]: string[] }[] = [];
/** An access token in `Authorization: Bearer …` (roles are checked by the route's guard). */
export const BEARER: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }];
