/**
 * The fleet suite: HAProxy in front of three instances of the built service, one PostgreSQL (the
 * machine's, 127.0.0.1:5432) and one Redis (127.0.0.1:6379). Needs the haproxy package
 * (test/fleet/install-deps.sh); run by .ci/run with `npm run test:fleet`, not by `npm test`.
 */
const base = require('../support/jest-base.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/fleet'],
  testRegex: '\\.fleet-spec\\.ts$',
  testTimeout: 300_000,
  maxWorkers: 1,
  verbose: true,
  forceExit: true,
};
