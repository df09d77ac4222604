import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { EmbeddedPostgresError } from './errors';

/**
 * An embedded cluster belongs to the process that started it, while that process lives: `<data>.owner` names it
 * (its pid, and its start time, so that a reused pid is not taken for it) and, once the cluster is ready for
 * others to use, its port. A record whose process is gone is stale.
 */
export interface OwnerRecord {
  pid: number;
  /** The process's start time as /proc gives it; null where there is no /proc. */
  started: string | null;
  /** Where the cluster listens; absent while its owner is still starting it. */
  port?: number;
}

export function ownerFile(dataDir: string): string {
  return `${dataDir}.owner`;
}

/** /proc/<pid>/stat's state and start time; undefined when there is no such process, null when there is no /proc. */
function procStat(pid: number): { state: string; started: string } | undefined | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // after the command name in parentheses: field 3 (state) on, so starttime (field 22) is at index 19
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], started: fields[19] };
  } catch {
    return existsSync('/proc/self/stat') ? undefined : null;
  }
}

function thisProcess(port?: number): OwnerRecord {
  return { pid: process.pid, started: procStat(process.pid)?.started ?? null, port };
}

/** Whether the process a record names still runs (a zombie, exited but not reaped, does not). */
export function isLive(owner: Pick<OwnerRecord, 'pid' | 'started'>): boolean {
  const stat = procStat(owner.pid);
  if (stat === null) {
    try {
      process.kill(owner.pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  return stat !== undefined && stat.state !== 'Z' && (owner.started === null || owner.started === stat.started);
}

/** The record, or undefined when there is none or it cannot be read as one (which makes it stale). */
export async function readOwner(dataDir: string): Promise<OwnerRecord | undefined> {
  try {
    const record = JSON.parse(await fs.readFile(ownerFile(dataDir), 'utf8')) as Partial<OwnerRecord>;
    if (!Number.isInteger(record.pid)) return undefined;
    return { pid: record.pid!, started: record.started ?? null, port: Number.isInteger(record.port) ? record.port : undefined };
  } catch {
    return undefined;
  }
}

/**
 * Written whole to a file of its own first, then linked into place (fails if a record exists) or renamed over the
 * old one: a reader never sees half a record. Returns false when `create` finds a record there.
 */
async function write(dataDir: string, record: OwnerRecord, how: 'create' | 'replace'): Promise<boolean> {
  const file = ownerFile(dataDir);
  const draft = `${file}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(draft, `${JSON.stringify(record)}\n`, { mode: 0o644, flag: 'wx' });
  try {
    await (how === 'create' ? fs.link(draft, file) : fs.rename(draft, file));
    return true;
  } catch (error) {
    if (how === 'create' && (error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await fs.rm(draft, { force: true });
  }
}

/**
 * Makes this process the cluster's owner (not yet ready), replacing a stale record. Returns undefined when it
 * did, or the record of the live process that owns the cluster.
 */
export async function claim(dataDir: string): Promise<OwnerRecord | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await write(dataDir, thisProcess(), 'create')) return undefined;
    const owner = await readOwner(dataDir);
    if (owner && isLive(owner)) return owner;
    await fs.rm(ownerFile(dataDir), { force: true });
  }
  throw new EmbeddedPostgresError(`Cannot claim the embedded PostgreSQL in ${dataDir}: ${ownerFile(dataDir)} keeps changing`);
}

/** The owner says its cluster is up on `port`, with its role and database made: others may use it now. */
export async function markReady(dataDir: string, port: number): Promise<void> {
  await write(dataDir, thisProcess(port), 'replace');
}

/** Gives the cluster up, if this process owns it. */
export async function release(dataDir: string): Promise<void> {
  if ((await readOwner(dataDir))?.pid === process.pid) await fs.rm(ownerFile(dataDir), { force: true });
}

/** Waits until `owner` says its cluster is ready, and returns where it listens; fails if it stops owning it first, or after `timeoutMs`. */
export async function waitUntilReady(dataDir: string, owner: OwnerRecord, timeoutMs = 60_000): Promise<{ port: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await readOwner(dataDir);
    if (current?.pid !== owner.pid || !isLive(current)) {
      throw new EmbeddedPostgresError(`Process ${owner.pid}, which was starting the embedded PostgreSQL in ${dataDir}, stopped: run the command again`);
    }
    if (current.port !== undefined) return { port: current.port };
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(`Process ${owner.pid} owns the embedded PostgreSQL in ${dataDir} but has not started it within ${timeoutMs / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
