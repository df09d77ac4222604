/**
 * The reliability/fault suite: each *.fault-spec.ts starts its own PostgreSQL 15 (and PgBouncer, TCP proxy)
 * and the built service (dist/) as separate processes, then injects one kind of fault.
 * Run with `npm run test:faults` (runInBand: the scenarios stop and start databases and time requests).
 */
module.exports = {
  rootDir: '../..',
  roots: ['<rootDir>/test/faults'],
  testRegex: '\\.fault-spec\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/faults/support/global-setup.ts',
  testTimeout: 180_000,
  maxWorkers: 1,
  verbose: true,
  // a hung socket from a fault must not keep jest alive after the suite
  forceExit: true,
};
