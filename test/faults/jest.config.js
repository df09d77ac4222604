/**
 * The reliability/fault suite: each *.fault-spec.ts starts its own PostgreSQL 15 (and PgBouncer, TCP proxy)
 * and the built service (dist/) as separate processes, then injects one kind of fault.
 * Run with `npm run test:faults` (runInBand: the scenarios stop and start databases and time requests).
 */
const base = require('../support/jest-base.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/faults'],
  testRegex: '\\.fault-spec\\.ts$',
  globalSetup: '<rootDir>/test/faults/support/global-setup.ts',
  testTimeout: 180_000,
  maxWorkers: 1,
  verbose: true,
  // a hung socket from a fault must not keep jest alive after the suite
  forceExit: true,
};
