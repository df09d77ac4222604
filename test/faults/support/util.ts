import { execFile, spawn, type SpawnOptions } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export { freePort } from '../../support/free-port';
export { sleep, waitFor } from '../../support/wait';

/** The repository root (test/faults/support -> ../../..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface RunAs {
  uid?: number;
  gid?: number;
}

/** PostgreSQL (and PgBouncer) refuse to run as root: as root, run them as the `postgres` system user. */
export function postgresUser(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('Running as root but there is no `postgres` system user to run PostgreSQL as (apt-get install postgresql-common or useradd --system postgres)');
  }
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

/** execFile as a promise that rejects with stderr in the message. */
export function exec(file: string, args: string[], options: { runAs?: RunAs; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        uid: options.runAs?.uid,
        gid: options.runAs?.gid,
        cwd: options.cwd ?? '/',
        env: { ...process.env, LC_ALL: 'C', LANG: 'C', ...options.env },
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          const e = new Error(`${path.basename(file)} ${args.join(' ')} failed: ${error.message}\n${stderr}`);
          reject(Object.assign(e, { stdout, stderr }));
        } else resolve({ stdout, stderr });
      },
    );
  });
}

/** A fresh folder under the system temp dir that the postgres user can enter (the repo may not be reachable). */
export async function makeTempDir(prefix: string, runAs: RunAs = {}): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  await fs.chmod(dir, 0o755);
  if (runAs.uid !== undefined) await fs.chown(dir, runAs.uid, runAs.gid ?? 0);
  return dir;
}

export async function chownR(target: string, runAs: RunAs): Promise<void> {
  if (runAs.uid === undefined) return;
  await fs.chown(target, runAs.uid, runAs.gid ?? 0);
  const stat = await fs.stat(target);
  if (stat.isDirectory()) {
    for (const entry of await fs.readdir(target)) await chownR(path.join(target, entry), runAs);
  }
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Alive and not a zombie waiting to be reaped (a postmaster left to init shows as one for a moment). */
export function isRunning(pid: number | undefined): boolean {
  if (!isAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export { spawn, type SpawnOptions };
