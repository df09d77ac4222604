// `npm run test:browser`: Swagger UI (/docs) in headless Chromium (Debian's `chromium`, see install-deps.sh)
// against the built server (dist/, rebuilt when stale), on the same PostgreSQL harness as `npm test`.
module.exports = {
  rootDir: '../..',
  roots: ['<rootDir>/test/browser'],
  testRegex: '\\.browser-spec\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 180000,
  maxWorkers: 1,
};
