import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { it } from 'node:test';
import { ROOT } from '../support/process.js';

/** Each module's Kysely table types (`<module>.tables.ts`) are what its migrations build. */
it('the committed table types match the migrations (npm run db:types)', { timeout: 60_000 }, async () => {
  const run = promisify(execFile);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/db-types.ts'), '--verify'], { cwd: ROOT, env: process.env }).catch((e: { stdout: string; stderr: string }) => {
    assert.fail(`${e.stdout}${e.stderr}`);
  });
  assert.match(stdout, /up to date: src\/modules\/auth\/auth\.tables\.ts/);
  assert.match(stdout, /up to date: src\/modules\/events\/events\.tables\.ts/);
  assert.match(stdout, /up to date: src\/modules\/bookings\/bookings\.tables\.ts/);
  assert.match(stdout, /up to date: src\/modules\/notifications\/notifications\.tables\.ts/);
});
