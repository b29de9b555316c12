/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // The soak runs (test/soak/) at their smaller sizes; `npm run test:soak` runs them alone at 100 000.
  testMatch: ['**/*.test.ts', '**/*.soak.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
  // One Temporal dev server, FerretDB and SMTP sink for the whole run (test/support/globalSetup.ts).
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
  setupFiles: ['<rootDir>/test/support/quietTemporal.ts'],
  testTimeout: 120_000,
  maxWorkers: 2,
  // The heaviest suites spread over the run rather than side by side (test/support/sequencer.js).
  testSequencer: '<rootDir>/test/support/sequencer.js',
  // A suite can leave memory or a still-polling in-process worker behind (a timed-out afterAll): a jest worker
  // above this after a file is replaced, so later suites do not run in a slowed, swollen process.
  workerIdleMemoryLimit: '1GB',
};
