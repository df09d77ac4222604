/**
 * The Redis suite: the failed-login limits on a real Redis (REDIS_TEST_URL, default redis://127.0.0.1:6379),
 * shared by two processes of the built service (dist/), and a Redis of the test's own that is stopped.
 * Needs redis-server and a PostgreSQL (REDIS_SUITE_DATABASE_URL, else TEST_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/test). Run with `npm run test:redis`; `npm test` does not run it.
 */
const base = require('../support/jest-base.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/redis'],
  testRegex: '\\.redis-spec\\.ts$',
  testTimeout: 180_000,
  maxWorkers: 1,
  verbose: true,
};
