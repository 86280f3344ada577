// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const MODULES = ['auth', 'events', 'bookings', 'analytics', 'notifications'];

/** A module is used only through its index.ts; the kernel only through src/kernel/index.ts. */
const moduleInternals = {
  regex: `(^|/)modules/(${MODULES.join('|')})/(?!index\\.js$).+`,
  message: "Import another module only through its index.ts (its one public face); modules talk through events.",
};
const kernelInternals = {
  regex: '(^|/)kernel/(?!index\\.js$).+',
  message: 'Import the kernel only through src/kernel/index.ts.',
};
/** Inside src/modules/<m>/, a relative path into a sibling module's folder. */
const siblingInternals = (self) => ({
  regex: `^(\\.\\./)+(${MODULES.filter((m) => m !== self).join('|')})/(?!index\\.js$).+`,
  message: "Import another module only through its index.ts (its one public face); modules talk through events.",
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.evently/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['src/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [moduleInternals, kernelInternals] }] },
  },
  ...MODULES.map((m) => ({
    files: [`src/modules/${m}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: [moduleInternals, kernelInternals, siblingInternals(m)] }] },
  })),
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [moduleInternals] }] },
  },
);
