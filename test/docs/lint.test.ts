import { it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';
import { ROOT } from '../support/process.js';

/** House rules: a module is used only through its index.ts, the kernel only through its index.ts. */
it('lint forbids importing another module\'s internals', async () => {
  const eslint = new ESLint({ cwd: ROOT });
  const lint = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  };
  assert.ok((await lint('src/modules/bookings/x.ts', "import { a } from '../auth/auth.service.js';\nexport { a };\n")).length > 0);
  assert.ok((await lint('src/modules/bookings/x.ts', "import { a } from '../../modules/auth/auth.service.js';\nexport { a };\n")).length > 0);
  assert.ok((await lint('src/main.ts', "import { a } from './modules/auth/routes/a.js';\nexport { a };\n")).length > 0);
  assert.ok((await lint('src/modules/bookings/x.ts', "import { a } from '../../kernel/db/database.js';\nexport { a };\n")).length > 0);
  // Modules talk through events: not even another module's index.ts.
  assert.ok((await lint('src/modules/bookings/x.ts', "import { a } from '../auth/index.js';\nexport { a };\n")).length > 0);
  assert.deepEqual(await lint('src/modules/bookings/x.ts', "import { b } from './b.js';\nimport { c } from '../bookings/c.js';\nimport { k } from '../../kernel/index.js';\nexport { b, c, k };\n"), []);
  // The composition root wires modules through their public faces.
  assert.deepEqual(await lint('src/main.ts', "import { a } from './modules/auth/index.js';\nexport { a };\n"), []);
});

it('lint forbids reading process.env outside the config module', async () => {
  const eslint = new ESLint({ cwd: ROOT });
  const [bad] = await eslint.lintText('export const p = process.env.PORT;\n', { filePath: path.join(ROOT, 'src/modules/auth/x.ts') });
  assert.deepEqual(bad!.messages.map((m) => m.ruleId), ['no-restricted-properties']);
  const [ok] = await eslint.lintText('export const p = process.env.PORT;\n', { filePath: path.join(ROOT, 'src/kernel/config/x.ts') });
  assert.deepEqual(ok!.messages, []);
});
