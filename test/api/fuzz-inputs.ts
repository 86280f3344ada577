import fc from 'fast-check';

/**
 * fast-check arbitraries for requests, read from the OpenAPI document: plausible values for what a
 * schema describes, and the broken ones a careless or hostile client sends. (No maintained
 * JSON-Schema-to-fast-check package exists; the subset TypeBox emits is small.)
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON Schema and OpenAPI objects are read freely here */
export type Schema = Record<string, any>;

/** A JSON fragment written into the body text as it is: `1e309` or 10,000 nested arrays. */
export class Raw {
  constructor(readonly text: string) {}
}

/** JSON text of a value that may hold Raw fragments anywhere. */
export function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof Raw ? `\u0001raw${raws.push(v.text) - 1}\u0001` : v));
  return (text ?? 'null').replace(/"\\u0001raw(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)]!);
}

/** Ids the server knows (the user's id and sessions), so plausible requests also reach real rows. */
export interface Known {
  ids: string[];
  emails: string[];
}

const PASSWORD_LIKE = /password/;

/** A value the schema accepts, or close to it (the service's own checks may still refuse it). */
export function plausible(schema: Schema | undefined, known: Known, name = ''): fc.Arbitrary<unknown> {
  if (!schema || Object.keys(schema).length === 0) return fc.jsonValue({ maxDepth: 2 });
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const alternatives = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (alternatives) return fc.oneof(...alternatives.map((s) => plausible(s, known, name)));
  if (Array.isArray(schema.type)) return fc.oneof(...(schema.type as string[]).map((type) => plausible({ ...schema, type }, known, name)));
  switch (schema.type) {
    case 'string':
      return plausibleString(schema, known, name);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(plausible(schema.items as Schema, known, name), { maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = (schema.required ?? []) as string[];
      return fc.record(
        Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, plausible(s, known, k)])),
        { requiredKeys: required },
      ).filter((o) => Object.keys(o).length >= (schema.minProperties ?? 0));
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function plausibleString(schema: Schema, known: Known, name: string): fc.Arbitrary<string> {
  const min: number = schema.minLength ?? 0;
  const max: number = Math.min(schema.maxLength ?? 40, 80);
  const fits = (s: string) => s.length >= min && s.length <= (schema.maxLength ?? Infinity);
  switch (schema.format) {
    case 'uuid':
      return known.ids.length ? fc.oneof(fc.uuid(), fc.constantFrom(...known.ids)) : fc.uuid();
    case 'email':
      return fc.emailAddress();
    case 'date-time':
      return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
  }
  if (typeof schema.pattern === 'string') {
    try {
      return fc.stringMatching(new RegExp(schema.pattern as string)).filter(fits);
    } catch {
      // A pattern fast-check cannot read: fall through to plain strings.
    }
  }
  if (/email/.test(name)) return fc.oneof(fc.emailAddress(), ...(known.emails.length ? [fc.constantFrom(...known.emails)] : []));
  // Strong enough for the password policy, so some requests reach the hashing and the database.
  if (PASSWORD_LIKE.test(name)) return fc.stringMatching(/^[A-Z][a-z]{4,12}[0-9]{2,4}$/).filter(fits);
  if (/username/.test(name)) return fc.stringMatching(/^[a-z][a-z0-9_-]{2,20}$/).filter(fits);
  const length = { minLength: min, maxLength: Math.max(min, max) };
  return fc.oneof(fc.string({ unit: 'grapheme-ascii', ...length }), fc.string({ unit: 'grapheme', ...length }));
}

const NESTING = [64, 2_000, 100_000];

/** Anything but what was asked for: wrong types, nulls, huge and broken strings, extreme numbers, deep nesting. */
export function hostileJson(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, '', [], {}, 'null', 'true', '0', '-1', '1e309', 'NaN', 'Infinity', '0x1f', ' 1 '),
    fc.constantFrom(new Raw('1e309'), new Raw('-1e309'), new Raw('1e-400'), new Raw('123456789012345678901234567890'), new Raw('-0')),
    fc.constantFrom('a\u0000b', '\u0000', '\ud800', 'ab\udfffcd', '\ufeff', '\u202e', '../../etc/passwd', "'; drop table users; --", '<script>x</script>'),
    fc.integer(),
    fc.double(),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.constantFrom(1_000, 100_000, 2_000_000).map((n) => 'x'.repeat(n)),
    fc.constantFrom(...NESTING).map((n) => new Raw('['.repeat(n) + ']'.repeat(n))),
    fc.constantFrom(...NESTING).map((n) => new Raw('{"a":'.repeat(n) + '1' + '}'.repeat(n))),
    fc.jsonValue({ maxDepth: 3 }),
  );
}

/** A plausible object with one thing wrong: a field replaced, removed or added. */
export function brokenObject(schema: Schema, known: Known): fc.Arbitrary<unknown> {
  const properties = Object.keys(schema.properties ?? {});
  const base = plausible(schema, known) as fc.Arbitrary<Record<string, unknown>>;
  const extraKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'role', 'is_admin', 'id', ''), fc.string({ maxLength: 12 }), fc.constant('k'.repeat(5_000)));
  const variants: fc.Arbitrary<unknown>[] = [
    fc.tuple(base, extraKey, hostileJson()).map(([o, k, v]) => ({ ...o, [k]: v })),
  ];
  if (properties.length) {
    variants.push(
      fc.tuple(base, fc.constantFrom(...properties), hostileJson()).map(([o, k, v]) => ({ ...o, [k]: v })),
      fc.tuple(base, fc.constantFrom(...properties)).map(([o, k]) => Object.fromEntries(Object.entries(o).filter(([key]) => key !== k))),
    );
  }
  return fc.oneof(...variants);
}

/** Body text that is not JSON, or JSON of the wrong shape, or JSON with a trick in it. */
export function brokenBodyText(): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    fc.constantFrom('', '{', '{"a":', 'null', '[]', '"str"', '1e309', 'undefined', '{"a":1,}', "{'a':1}", '\ufeff{}', '\u0000', '{"a":"\\ud800"}'),
    fc.constantFrom('{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}', '{"email":"a@b.c","email":"x@y.z"}'),
    fc.constantFrom(Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.from('{"email":"\xed\xa0\x80@x.org"}', 'latin1'), Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])),
    fc.string({ unit: 'binary', maxLength: 40 }),
  );
}

/** Path parameter values, encoded as they go on the wire: ids, then everything an id is not. */
export function pathValue(schema: Schema | undefined, known: Known): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: (plausible(schema, known) as fc.Arbitrary<unknown>).map((v) => encodeURIComponent(String(v))) },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.constantFrom('x', '0', '-1', '1e309', 'null', 'undefined', '..', '%2e%2e', '%2F', '%', '%zz', '%00', '%ED%A0%80', '%C0%AF', '%20', '+', '*'),
        fc.constantFrom(101, 5_000).map((n) => 'a'.repeat(n)),
        fc.uuid().map((u) => u.toUpperCase() + 'x'),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map(encodeURIComponent),
      ),
    },
  );
}

/** Query values as they go on the wire: encoded plausible values, or broken ones. */
export function queryValue(schema: Schema | undefined, known: Known): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: (plausible(schema, known) as fc.Arbitrary<unknown>).map((v) => encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))) },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.constantFrom('', '1e309', '-1e309', 'Infinity', '-Infinity', 'NaN', '1.5', '-1', '0', '99999999999999999999', 'true', '%00', 'a%00b', '%ED%A0%80', '%', '%zz', '%FF'),
        fc.constantFrom(101, 5_000).map((n) => 'a'.repeat(n)),
        fc.string({ unit: 'binary', maxLength: 20 }).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))),
      ),
    },
  );
}

/** Authorization headers that are not a valid token of this server. */
export function badAuthorization(validToken: string | undefined): fc.Arbitrary<string> {
  const forged = validToken
    ? [
        fc.constant(`Bearer ${validToken.slice(0, -3)}abc`),
        fc.constant(`Bearer ${validToken.split('.').slice(0, 2).join('.')}.`),
        fc.constant(`bearer ${validToken}x`),
        fc.constant(`Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${validToken.split('.')[1]}.`),
      ]
    : [];
  return fc.oneof(
    fc.constantFrom('Bearer', 'Bearer ', 'Bearer a.b.c', 'Basic dXNlcjpwYXNz', 'Bearer null', 'Bearer ' + 'a'.repeat(8_000) + '.b.c', 'Bearer \u00ff.\u00fe.\u00fd'),
    ...forged,
  );
}

export const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=latin1',
  'application/json;;;',
  'APPLICATION/JSON',
  'application/vnd.api+json',
  '*/*',
  '',
];

/*
 * Edge values tried on every slot of every operation, one slot at a time, before the random runs:
 * random runs explore, these make sure each known trap is met in each place at least once.
 */
export const EDGE_JSON: unknown[] = [
  null, true, -1, {}, [], '', '1e309', 'a\u0000b', '\ud800',
  new Raw('1e309'), new Raw('-1e309'), new Raw('[['.repeat(2_000) + ']]'.repeat(2_000)), 'x'.repeat(100_000),
];
export const EDGE_QUERY = ['1e309', '-1e309', 'Infinity', 'NaN', '-1', '1.5', '99999999999999999999', '', '%00', '%ED%A0%80', '%', '%zz', 'a'.repeat(5_000)];
export const EDGE_PATH = ['%', '%zz', '%00', '%ED%A0%80', 'a'.repeat(5_000), '..', '1e309', ' '];
export const EDGE_BODY: (string | Buffer)[] = [
  '', '{', 'null', '[]', '"x"', '1e309', '\ufeff{}', '{"a":1,}',
  '['.repeat(100_000) + ']'.repeat(100_000),
  Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
  'x'.repeat(2_000_000), // past the body limit
];
