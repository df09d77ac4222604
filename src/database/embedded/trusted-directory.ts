import { constants, promises as fs } from 'node:fs';
import { EmbeddedPostgresError } from './errors';

export interface TrustedDirectory {
  /** The owner it must have (and is given when created). */
  uid: number;
  gid: number;
  /** The mode it is created with. */
  mode: number;
}

/**
 * Makes `dir` (one level: its parent must exist) or reuses it, but only if it can be trusted: a real directory,
 * not a symlink, owned by `uid`, and writable by no one else (group or others). Created with an exclusive mkdir
 * and an explicit mode; its owner set with lchown, which never follows a symlink. Returns whether it was created.
 * Throws EmbeddedPostgresError naming the path and what is wrong otherwise.
 */
export async function ensureTrustedDirectory(dir: string, expected: TrustedDirectory): Promise<boolean> {
  let created = false;
  try {
    await fs.mkdir(dir, { mode: expected.mode });
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new EmbeddedPostgresError(`Cannot create ${dir}: ${(error as Error).message}`);
    }
  }
  if (created) {
    const stat = await fs.lstat(dir);
    if (!stat.isDirectory()) throw new EmbeddedPostgresError(`${dir} is not a directory`);
    await fs.chmod(dir, expected.mode); // the mode exactly, whatever the umask
    if (stat.uid !== expected.uid || stat.gid !== expected.gid) await fs.lchown(dir, expected.uid, expected.gid);
  }
  await checkTrustedDirectory(dir, expected.uid);
  return created;
}

/** Throws EmbeddedPostgresError unless `dir` is a real directory (lstat: a symlink is not), owned by `uid`, not writable by group or others. */
export async function checkTrustedDirectory(dir: string, uid: number): Promise<void> {
  const stat = await fs.lstat(dir).catch((error: NodeJS.ErrnoException) => {
    throw new EmbeddedPostgresError(`${dir} cannot be checked: ${error.code ?? error.message}`);
  });
  if (stat.isSymbolicLink()) throw new EmbeddedPostgresError(`${dir} is a symlink, not a directory: remove it (it is not trusted)`);
  if (!stat.isDirectory()) throw new EmbeddedPostgresError(`${dir} is not a directory: remove it (it is not trusted)`);
  if (stat.uid !== uid) throw new EmbeddedPostgresError(`${dir} is owned by uid ${stat.uid}, not ${uid}: remove it (it is not trusted)`);
  if ((stat.mode & (constants.S_IWGRP | constants.S_IWOTH)) !== 0) {
    throw new EmbeddedPostgresError(`${dir} is writable by group or others (mode ${(stat.mode & 0o7777).toString(8)}): remove it (it is not trusted)`);
  }
}
