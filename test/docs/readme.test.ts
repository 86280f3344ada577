import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { eventlySettingsTable } from '../../src/main.js';
import { ROOT } from '../support/process.js';

const readme = () => readFileSync(path.join(ROOT, 'README.md'), 'utf8');

it('README settings table matches the settings the code reads', () => {
  const block = /<!-- settings:begin -->\n([\s\S]*?)\n<!-- settings:end -->/.exec(readme())?.[1];
  assert.equal(block, eventlySettingsTable(), 'run `npm run evently -- settings` and paste the table into README.md');
});

/** The test files that use the Redis helpers: the ones with tests that need Redis. */
function redisTestFiles(): string[] {
  return ['src', 'test']
    .flatMap((dir) => readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }).map((f) => path.join(dir, f)))
    .filter((f) => f.endsWith('.test.ts'))
    .filter((f) => /from '(\.\.\/)+(test\/)?support\/redis\.js'/.test(readFileSync(path.join(ROOT, f), 'utf8')))
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

it('README lists every test file with Redis-backed tests', () => {
  const files = redisTestFiles();
  assert.ok(files.length > 0);
  const block = /<!-- redis-suites:begin -->\n([\s\S]*?)\n<!-- redis-suites:end -->/.exec(readme())?.[1];
  assert.equal(block, files.map((f) => `- \`${f}\``).join('\n'), 'paste this list into README.md ("Tests")');
});

it('test files with Redis-backed tests declare them so that a run without Redis counts them as skipped', () => {
  for (const file of redisTestFiles()) {
    const source = readFileSync(path.join(ROOT, file), 'utf8');
    // node:test's own describe skips a suite without declaring, so without counting, its tests.
    assert.doesNotMatch(source, /^import (?!type )[^;]*from 'node:test';/m, `${file}: import describe, it and hooks from test/support/suite.js`);
    assert.match(source, /^import \{[^}]*\} from '(\.\.\/)+(test\/)?support\/suite\.js';/m, `${file}: import describe, it and hooks from test/support/suite.js`);
    // A test declared only when REDIS_URL is set (`if (redisUrl()) it(…)`) is not counted at all without it.
    assert.match(source, /\bskipWithoutRedis\(\)/, `${file}: declare the tests that need Redis with { skip: skipWithoutRedis() }, always`);
  }
});

it('README shows screenshots that exist, of every page npm run screenshots takes, at both widths', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const shown = [...readme.matchAll(/!\[[^\]]*\]\((docs\/screenshots\/[^)]+)\)/g)].map((m) => m[1]!);
  assert.ok(shown.length >= 10, `${shown.length} screenshots shown`);
  for (const file of shown) assert.ok(existsSync(path.join(ROOT, file)), `${file} exists (npm run screenshots)`);
  const taken = [...readFileSync(path.join(ROOT, 'scripts/screenshots.ts'), 'utf8').matchAll(/\['([a-z-]+)', [`'][^,]+, '(?:visitor|attendee|admin)'\]/g)].map((m) => m[1]!);
  assert.ok(taken.length >= 8, `${taken.length} pages in scripts/screenshots.ts`);
  for (const name of taken) for (const size of ['desktop', 'phone']) assert.ok(shown.includes(`docs/screenshots/${name}-${size}.png`), `README shows ${name}-${size}`);
});
