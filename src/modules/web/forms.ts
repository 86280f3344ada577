import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TProperties } from 'typebox';
import { StrictObject } from '../../kernel/index.js';

/** Every form that changes something posts the CSRF token it was rendered with. */
const CsrfField = { _csrf: Type.String({ minLength: 1, maxLength: 200 }) };

/** A form's body: its fields and the CSRF token, nothing else (a field no form has is a forged request, refused like the API's unknown fields). */
export const FormOf = <P extends TProperties>(fields: P) => StrictObject({ ...CsrfField, ...fields });

/** Ids are passed to the API as they are: a malformed one is the API's 400, shown as "not found". */
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export interface WebForm {
  /** preHandler of every POST: the CSRF token must match the browser's secret cookie. */
  protect(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void;
}

/** The notice a redirect asked for (`?done=…`), from the page's own table, and nothing else (not `constructor`). */
export function noticeOf(table: Readonly<Record<string, string>>, query: unknown): string | undefined {
  const done = (query as { done?: unknown } | undefined)?.done;
  return typeof done === 'string' && Object.hasOwn(table, done) ? table[done] : undefined;
}
