// `npm run test:browser`: Swagger UI (/docs) in headless Chromium (Debian's `chromium`, see install-deps.sh)
// against the built server (dist/, rebuilt when stale), on the same PostgreSQL harness as `npm test`.
const base = require('../support/jest-base.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/browser'],
  testRegex: '\\.browser-spec\\.ts$',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 180000,
  maxWorkers: 1,
};
