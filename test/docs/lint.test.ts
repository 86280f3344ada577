import { it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';
import { ROOT } from '../support/process.js';

/** The house rule: a module is used only through its index.ts, the kernel only through its index.ts. */
it('lint forbids importing another module\'s internals', async () => {
  const eslint = new ESLint({ cwd: ROOT });
  const lint = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  };
  assert.equal((await lint('src/modules/bookings/x.ts', "import { a } from '../auth/auth.service.js';\nexport { a };\n")).length, 1);
  assert.equal((await lint('src/modules/bookings/x.ts', "import { a } from '../../modules/auth/auth.service.js';\nexport { a };\n")).length, 1);
  assert.equal((await lint('src/main.ts', "import { a } from './modules/auth/routes/a.js';\nexport { a };\n")).length, 1);
  assert.equal((await lint('src/modules/bookings/x.ts', "import { a } from '../../kernel/db/database.js';\nexport { a };\n")).length, 1);
  assert.deepEqual(await lint('src/modules/bookings/x.ts', "import { a } from '../auth/index.js';\nimport { b } from './b.js';\nimport { k } from '../../kernel/index.js';\nexport { a, b, k };\n"), []);
});
