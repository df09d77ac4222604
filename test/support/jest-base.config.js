// What every test tier shares (npm test, faults, redis, fleet, browser): each tier's config spreads it.
// The @nestjs and @mikro-orm packages are ESM-only: jest loads them through Node's require(esm), which needs
// --experimental-vm-modules on jest's own process (the npm scripts pass it).
const path = require('node:path');

module.exports = {
  rootDir: path.resolve(__dirname, '..', '..'),
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  testEnvironment: 'node',
};
