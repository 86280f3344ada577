// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const MODULES = ['auth', 'events', 'bookings', 'analytics', 'notifications', 'web'];

/** A module is used only through its index.ts; the kernel only through src/kernel/index.ts. */
const moduleInternals = {
  regex: `(^|/)modules/(${MODULES.join('|')})/(?!index\\.js$).+`,
  message: "Import another module only through its index.ts (its one public face); modules talk through events.",
};
const kernelInternals = {
  regex: '(^|/)kernel/(?!index\\.js$).+',
  message: 'Import the kernel only through src/kernel/index.ts.',
};
/** Inside src/modules/<m>/: no path into a sibling module at all. Modules talk only through events. */
const siblingModules = (self) => ({
  regex: `^(\\.\\./)+(modules/)?(${MODULES.filter((m) => m !== self).join('|')})/`,
  message: 'A module never imports another module (not even its index.ts): modules talk only through events (ARCHITECTURE.md).',
});
/** Settings are read once, by the config module (house rule 8). */
const noProcessEnv = {
  'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read settings from the Config passed in; only src/kernel/config reads process.env.' }],
};

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
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    ignores: ['src/kernel/config/**', 'src/**/*.test.ts', 'src/**/*.testkit.ts'],
    rules: noProcessEnv,
  },
  {
    files: ['src/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [moduleInternals, kernelInternals] }] },
  },
  ...MODULES.map((m) => ({
    files: [`src/modules/${m}/**/*.ts`, `src/modules/${m}/**/*.tsx`],
    rules: { 'no-restricted-imports': ['error', { patterns: [moduleInternals, kernelInternals, siblingModules(m)] }] },
  })),
  {
    // Contracts are shared by producers and consumers: they depend on nothing but TypeBox and each other.
    files: ['src/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { regex: '(^|/)(modules|kernel)/', message: 'Contracts depend on no module and no kernel code: producers and consumers import them, not the other way round.' },
      ] }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [moduleInternals] }] },
  },
);
