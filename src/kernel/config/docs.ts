import { SETTINGS } from './schema.js';
import type { SettingsTable } from './settings.js';

/**
 * The README's settings table, generated so it cannot drift from the code (`evently settings`):
 * the platform's settings, then each module's own, in the order given.
 */
export function settingsTable(moduleTables: readonly SettingsTable[] = []): string {
  const rows = [SETTINGS, ...moduleTables].flatMap((table) =>
    Object.entries(table).map(([name, s]) => {
      const d = s.defaultDoc ?? ('default' in s && s.default !== undefined ? formatDefault(s.default) : '—');
      // A `|` in a cell would end it: escaped, as Markdown tables want.
      const cell = (text: string) => text.replaceAll('|', '\\|');
      return `| \`${name}\` | ${cell(d)} | ${cell(s.doc)}${s.secret ? ' Secret: `_FILE` recommended.' : ''} |`;
    }),
  );
  return ['| Setting | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}

function formatDefault(v: unknown): string {
  if (Array.isArray(v)) return v.length ? `\`${v.join(',')}\`` : '(empty)';
  return v === '' ? '(empty)' : `\`${String(v)}\``;
}
