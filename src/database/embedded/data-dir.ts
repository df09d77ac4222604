import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ensureRelocationRoot, RELOCATION_ROOT } from './relocation';
import { canReach, currentUser, type RunAs } from './run-as';
import { ensureTrustedDirectory } from './trusted-directory';

/** The data folder, owned by the user PostgreSQL runs as; moved under /var/tmp when that user cannot reach it. */
export async function reachableDataDir(wanted: string, runAs: RunAs, log: (m: string) => void): Promise<string> {
  await fs.mkdir(path.dirname(wanted), { recursive: true });
  if (canReach(path.dirname(wanted), runAs)) {
    await fs.mkdir(wanted, { recursive: true, mode: 0o700 });
    // lchown: if the data folder is a symlink, its target is not changed behind the user's back
    if (runAs.uid !== undefined) await fs.lchown(wanted, runAs.uid, runAs.gid ?? 0);
    return wanted;
  }
  const key = createHash('sha256').update(wanted).digest('hex').slice(0, 12);
  const dataDir = path.join(RELOCATION_ROOT, `data-${key}`);
  log(`The postgres user cannot reach ${wanted}; keeping the embedded database in ${dataDir} instead`);
  await ensureRelocationRoot();
  await ensureTrustedDirectory(dataDir, { uid: runAs.uid ?? currentUser().uid, gid: runAs.gid ?? currentUser().gid, mode: 0o700 });
  return dataDir;
}

/** The password is made once per cluster and role and kept beside its data folder, readable only by its owner. */
export async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(18).toString('base64url');
    await fs.writeFile(file, password, { mode: 0o600, flag: 'wx' });
    return password;
  }
}
