/**
 * `npm run soak`: the soak (*.soak-spec.ts), on the fault suite's harness and built service. Its own config so
 * that `npm run test:faults` never runs it (ten minutes by default); SOAK_DURATION_S sets its length.
 */
const faults = require('./jest.config');

module.exports = {
  ...faults,
  testRegex: '\\.soak-spec\\.ts$',
};
