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

/** A rate limit per key: `points/window` (`20/1m`, `5/15m`, `100/1h`, `3/30s`). */
export interface RateSpec {
  points: number;
  windowMs: number;
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };

/** Parses `N/<count><s|m|h>`; used by the named limits of `rates`. */
export function parseRate(raw: string): RateSpec {
  const m = /^(\d{1,7})\/(\d{0,5})([smh])$/.exec(raw.trim());
  if (!m) throw new SettingError(`"${raw}" is not a rate like 10/1m`);
  const points = Number(m[1]);
  const windowMs = Number(m[2] || '1') * UNIT_MS[m[3]!]!;
  if (points < 1 || windowMs < 1_000) throw new SettingError(`"${raw}" must allow at least 1 request per at least 1s`);
  return { points, windowMs };
}

/**
 * Named rate limits of one endpoint: `ip=20/1m,email=10/15m`. A name may be `off` (`email=off`).
 * Names not given keep their default; unknown names are refused.
 */
export function rates<const N extends string>(
  names: readonly N[],
  opts: Omit<Setting<Record<N, RateSpec | null>>, 'parse'> & { default: Record<N, RateSpec | null> },
): Setting<Record<N, RateSpec | null>> {
  return setting((raw) => {
    const out = { ...opts.default };
    for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [name, value] = part.split('=', 2).map((x) => x.trim());
      if (!name || !value || !(names as readonly string[]).includes(name)) {
        throw new SettingError(`"${part}" is not one of ${names.map((n) => `${n}=N/window`).join(', ')}`);
      }
      try {
        out[name as N] = value === 'off' ? null : parseRate(value);
      } catch {
        throw new SettingError(`"${part}" is not a rate like ${name}=10/1m`);
      }
    }
    return out;
  }, opts);
}

export function formatRates(r: Record<string, RateSpec | null>): string {
  const unit = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`);
  return Object.entries(r).map(([k, v]) => `${k}=${v ? `${v.points}/${unit(v.windowMs)}` : 'off'}`).join(',');
}

export function optional<T>(s: Setting<T>): Setting<T | undefined> {
  return s as Setting<T | undefined>;
}

export type SettingsTable = Record<string, Setting<unknown>>;
export type ParsedSettings<S extends SettingsTable> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };
