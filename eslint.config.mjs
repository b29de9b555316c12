// ESLint: type-aware TypeScript rules everywhere, and the workflow sandbox rules for
// workflows/ (and the modules they may import): no Node built-ins, no mongoose, express,
// config or provider modules, and activities only as types.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'console/dist/', '.rota/', 'coverage/', 'eslint.config.mjs', 'jest.config.js', 'test/support/sequencer.js', 'infra/ensure-deps.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Tests read JSON answers loosely; the assertions are the types there.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflow code runs in a deterministic sandbox: no Node built-ins.' })),
            { name: 'mongoose', message: 'Workflows do no I/O: read and write MongoDB in an activity.' },
            { name: 'express', message: 'Workflows do no I/O.' },
            { name: '@temporalio/activity', message: 'Activity APIs do not run in workflows.' },
            { name: '@temporalio/client', message: 'Use the @temporalio/workflow APIs in workflows.' },
          ],
          patterns: [
            { group: ['**/config', '**/data/**', '**/providers/**', '**/api/**', '**/lib/**', '**/simulators/**', '**/infra/**'], message: 'Workflow code imports only workflows/, domain/ and types.' },
            { group: ['**/activities', '**/activities/**'], allowTypeImports: true, message: 'Import activities as types only (proxyActivities<typeof …>).' },
          ],
        },
      ],
    },
  },
);
