/**
 * Charts drawn on the server as inline SVG: no script, no chart library, nothing to load. Each is an
 * image with a spoken summary, and sits next to a table of the same numbers, so nothing is only a
 * picture.
 */

export interface Point { label: string; value: number }

const W = 640;
const r = (n: number) => Math.round(n * 10) / 10;

/** Columns over time; negative values (a day of refunds) hang below the zero line. */
export function ColumnChart({ label, points, format }: { label: string; points: Point[]; format: (n: number) => string }) {
  const H = 220, left = 64, right = 8, top = 12, bottom = 28;
  const values = points.map((p) => p.value);
  const max = Math.max(0, ...values);
  const min = Math.min(0, ...values);
  const y = (v: number) => top + ((max - v) / (max - min || 1)) * (H - top - bottom);
  const step = (W - left - right) / Math.max(points.length, 1);
  // About six date labels fit under the columns at any width; the rest are in the table.
  const every = Math.max(1, Math.ceil(points.length / 6));
  const ticks = [...new Set([max, 0, min])];
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
      <title>{label}</title>
      {ticks.map((t) => <text x={left - 6} y={r(y(t) + 4)} text-anchor="end">{format(t)}</text>)}
      <line class="axis" x1={left} x2={W - right} y1={r(y(0))} y2={r(y(0))} />
      {points.map((p, i) => {
        const h = Math.abs(y(p.value) - y(0));
        return (
          <rect class={p.value < 0 ? 'bar neg' : 'bar'} x={r(left + i * step + step * 0.15)} y={r(Math.min(y(p.value), y(0)))} width={r(step * 0.7)} height={r(p.value === 0 ? 0 : Math.max(h, 1))}>
            <title>{`${p.label}: ${format(p.value)}`}</title>
          </rect>
        );
      })}
      {points.map((p, i) => (i % every === 0 ? <text x={r(left + i * step + step / 2)} y={H - 8} text-anchor="middle">{p.label}</text> : null))}
    </svg>
  );
}

/** One horizontal bar per row, for shares from 0 to 1 (a capacity filled). */
export function ShareBars({ label, rows }: { label: string; rows: { label: string; share: number }[] }) {
  const row = 26, labelWidth = 230, room = W - labelWidth - 56;
  const H = rows.length * row + 8;
  // What fits left of the bars at a phone's larger type; the table beside has the whole title.
  const cut = (s: string) => (s.length > 26 ? `${s.slice(0, 25)}…` : s);
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
      <title>{label}</title>
      {rows.map((x, i) => {
        const share = Math.min(Math.max(x.share, 0), 1);
        const y = 4 + i * row;
        return (
          <g>
            <text x={labelWidth - 8} y={y + 16} text-anchor="end">{cut(x.label)}</text>
            <rect class="track" x={labelWidth} y={y + 4} width={room} height={row - 10} />
            <rect class="bar alt" x={labelWidth} y={y + 4} width={r(room * share)} height={row - 10} />
            <text x={r(labelWidth + room + 6)} y={y + 16}>{percent(x.share)}</text>
          </g>
        );
      })}
    </svg>
  );
}

/** A table of plain numbers; `caption` says what they are (tables here always have one). */
export function NumbersTable({ caption, head, rows }: { caption: string; head: string[]; rows: (string | number)[][] }) {
  return (
    <table class="list numbers">
      <caption>{caption}</caption>
      <thead><tr>{head.map((h) => <th scope="col">{h}</th>)}</tr></thead>
      <tbody>{rows.map((cells) => <tr>{cells.map((c, i) => <td data-label={i ? head[i] : undefined}>{c}</td>)}</tr>)}</tbody>
    </table>
  );
}

export const percent = (share: number | null) => (share === null ? '—' : `${Math.round(share * 1000) / 10}%`);

const dayFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
/** "3 Dec" for the UTC day "2026-12-03". */
export const dayLabel = (day: string) => dayFormat.format(new Date(`${day}T00:00:00Z`));

/** The UTC days of the last `n`, today last, as the analytics API counts them. */
export function lastDays(n: number, now = Date.now()): string[] {
  return Array.from({ length: n }, (_, i) => new Date(now - (n - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}
