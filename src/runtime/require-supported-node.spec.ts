import { isSupportedNode } from './require-supported-node';

describe(isSupportedNode.name, () => {
  it.each([
    ['20.20.2', false],
    ['22.16.0', false],
    ['22.17.0', true],
    ['22.22.3', true],
    ['23.0.0', true],
    ['24.21.0', true],
    ['v26.1.0', true],
  ])('Node.js %s -> %s', (version, supported) => {
    expect(isSupportedNode(version)).toBe(supported);
  });
});
