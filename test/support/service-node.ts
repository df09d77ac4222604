/**
 * The Node.js that runs the built service in the tests that start it as a process: jest's own, unless
 * TEST_SERVICE_NODE names another (CI runs the service on the 22.17 floor this way; jest itself needs 24).
 */
export function serviceNode(): string {
  return process.env.TEST_SERVICE_NODE || process.execPath;
}
