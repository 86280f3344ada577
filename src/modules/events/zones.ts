/**
 * Time zones and currencies as the platform's ICU knows them (IANA names, ISO 4217 codes), and the
 * venue's local time of an instant, shown beside UTC.
 */
const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's canonical name (`europe/paris` → `Europe/Paris`), or undefined for one ICU does not know. */
export function canonicalZone(name: string): string | undefined {
  // Offsets and abbreviations ("+01:00", "CET") are not places: a venue's rules change with its place.
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return undefined;
  try {
    return formatter(name).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

export function isCurrency(code: string): boolean {
  return CURRENCIES.has(code);
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/**
 * Offsets change only at whole quarter hours of UTC in the years events may take (2000–2199), so a
 * zone's offset is looked up once per quarter hour it is asked about (formatToParts is slow) and
 * kept in a bounded map.
 */
const QUARTER_HOUR = 900_000;
const offsets = new Map<string, number>();

function offsetMinutes(at: Date, zone: string): number {
  const key = `${zone} ${Math.floor(at.getTime() / QUARTER_HOUR)}`;
  let minutes = offsets.get(key);
  if (minutes === undefined) {
    const parts: Record<string, number> = {};
    for (const p of formatter(zone).formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
    minutes = Math.round((wall - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
    if (offsets.size >= 10_000) offsets.clear();
    offsets.set(key, minutes);
  }
  return minutes;
}

/** The instant as the venue's wall clock, ISO 8601 with its offset: `2027-06-01T19:30:00+02:00`. */
export function localTime(at: Date, zone: string): string {
  const offset = offsetMinutes(at, zone);
  const wall = new Date(at.getTime() + offset * 60_000);
  const sign = offset < 0 ? '-' : '+';
  return `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}
