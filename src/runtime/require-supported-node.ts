/**
 * Imported first by main.ts, before anything else loads: on a Node.js older than the one the service is built
 * for, the start stops here with one line instead of a stack from deep inside a dependency. No imports: this file
 * must run on any Node.js.
 */
const REQUIRED = 'Node.js 24 LTS (at least 22.17)';

export function isSupportedNode(version: string): boolean {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 17);
}

if (!isSupportedNode(process.versions.node)) {
  console.error(`The task service needs ${REQUIRED}; this is Node.js ${process.versions.node}.`);
  process.exit(1);
}
