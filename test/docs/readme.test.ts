import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { eventlySettingsTable } from '../../src/main.js';
import { ROOT } from '../support/process.js';

it('README settings table matches the settings the code reads', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- settings:begin -->\n([\s\S]*?)\n<!-- settings:end -->/.exec(readme)?.[1];
  assert.equal(block, eventlySettingsTable(), 'run `npm run evently -- settings` and paste the table into README.md');
});
