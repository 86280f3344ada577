/**
 * Declarative settings: each one knows how to parse itself, its default and its documentation.
 * The table is the single source for validation, the typed config and `evently settings` (README table).
 */
export interface Setting<T> {
  doc: string;
  /** Secrets are never logged or printed; in production they must not be placeholders. */
  secret?: boolean;
  default?: T;
  /** Default shown in docs when it is computed (e.g. "3000 all-in-one, module port in split mode"). */
  defaultDoc?: string;
  parse(raw: string): T;
}

export class SettingError extends Error {}

function setting<T>(parse: (raw: string) => T, opts: Omit<Setting<T>, 'parse'>): Setting<T> {
  return { ...opts, parse };
}

export function str(opts: Omit<Setting<string>, 'parse'> & { pattern?: RegExp }): Setting<string> {
  return setting((raw) => {
    if (opts.pattern && !opts.pattern.test(raw)) throw new SettingError(`must match ${opts.pattern}`);
    return raw;
  }, opts);
}

export function int(opts: Omit<Setting<number>, 'parse'> & { min?: number; max?: number }): Setting<number> {
  return setting((raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new SettingError('must be a whole number');
    const n = Number(raw);
    if (opts.min !== undefined && n < opts.min) throw new SettingError(`must be at least ${opts.min}`);
    if (opts.max !== undefined && n > opts.max) throw new SettingError(`must be at most ${opts.max}`);
    return n;
  }, opts);
}

export function bool(opts: Omit<Setting<boolean>, 'parse'>): Setting<boolean> {
  return setting((raw) => {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    throw new SettingError('must be true or false');
  }, opts);
}

export function oneOf<const V extends string>(values: readonly V[], opts: Omit<Setting<V>, 'parse'>): Setting<V> {
  return setting((raw) => {
    if (!(values as readonly string[]).includes(raw)) throw new SettingError(`must be one of ${values.join(', ')}`);
    return raw as V;
  }, opts);
}

export function url(opts: Omit<Setting<string>, 'parse'> & { protocols: string[] }): Setting<string> {
  return setting((raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new SettingError('must be a URL');
    }
    if (!opts.protocols.includes(parsed.protocol)) {
      throw new SettingError(`must be a ${opts.protocols.map((p) => p.replace(':', '://')).join(' or ')} URL`);
    }
    return raw;
  }, opts);
}

export function list(opts: Omit<Setting<string[]>, 'parse'> & { allowed?: readonly string[] }): Setting<string[]> {
  return setting((raw) => {
    const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = opts.allowed ? items.filter((i) => !opts.allowed!.includes(i)) : [];
    if (bad.length) throw new SettingError(`unknown value(s) ${bad.join(', ')}; allowed: ${opts.allowed!.join(', ')}`);
    return [...new Set(items)];
  }, opts);
}

export function optional<T>(s: Setting<T>): Setting<T | undefined> {
  return s as Setting<T | undefined>;
}

export type SettingsTable = Record<string, Setting<unknown>>;
export type ParsedSettings<S extends SettingsTable> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };
