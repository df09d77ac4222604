// `npm test`: unit specs beside the code (src, *.spec.ts) and e2e specs (test, *.e2e-spec.ts), on a real PostgreSQL.
const base = require('./test/support/jest-base.config');

module.exports = {
  ...base,
  testRegex: '(src/.*\\.spec|test/.*\\.e2e-spec)\\.ts$',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // 60 s: under the full parallel load of CI an app's teardown (close, drop its database) has taken over 30 s
  testTimeout: 60000,
  maxWorkers: 2,
};
