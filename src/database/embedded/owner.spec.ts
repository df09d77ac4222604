import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedPostgresError } from './errors';
import { claim, markReady, ownerFile, readOwner, release, waitUntilReady } from './owner';

/** Field 22 of /proc/<pid>/stat, read here independently of owner.ts. */
function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function spawnSleeper(): ChildProcess {
  return spawn('sleep', ['60'], { stdio: 'ignore' });
}

async function goneProcessPid(): Promise<number> {
  const child = spawn('true', { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('the owner of an embedded cluster', () => {
  let tmp: string;
  let dataDir: string;
  const children: ChildProcess[] = [];
  const record = (value: object) => writeFileSync(ownerFile(dataDir), JSON.stringify(value));

  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'embedded-pg-owner-'));
    dataDir = path.join(tmp, 'pg');
  });
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('is this process once it claims a cluster nobody owns; ready once it says where it listens; gone once released', async () => {
    await expect(claim(dataDir)).resolves.toBeUndefined();
    await expect(readOwner(dataDir)).resolves.toEqual({ pid: process.pid, started: startTime(process.pid), port: undefined });
    await markReady(dataDir, 54329);
    await expect(readOwner(dataDir)).resolves.toMatchObject({ pid: process.pid, port: 54329 });
    await release(dataDir);
    expect(existsSync(ownerFile(dataDir))).toBe(false);
  });

  it('stays another live process, whose record is left as it is', async () => {
    const other = spawnSleeper();
    children.push(other);
    record({ pid: other.pid, started: startTime(other.pid!), port: 6000 });
    const before = readFileSync(ownerFile(dataDir), 'utf8');

    await expect(claim(dataDir)).resolves.toEqual({ pid: other.pid, started: startTime(other.pid!), port: 6000 });
    await release(dataDir); // not ours to give up
    expect(readFileSync(ownerFile(dataDir), 'utf8')).toBe(before);
  });

  it.each([
    ['a process that is gone', async () => ({ pid: await goneProcessPid(), started: '1', port: 6000 })],
    ['a live process with another start time (a reused pid)', async () => ({ pid: process.ppid, started: '1', port: 6000 })],
    ['a record that cannot be read as one', async () => 'not json'],
  ])('is replaced when the record names %s', async (_name, make) => {
    const value = await make();
    if (typeof value === 'string') writeFileSync(ownerFile(dataDir), value);
    else record(value);
    await expect(claim(dataDir)).resolves.toBeUndefined();
    await expect(readOwner(dataDir)).resolves.toMatchObject({ pid: process.pid, port: undefined });
  });

  describe(waitUntilReady.name, () => {
    it('returns the port once the owner says the cluster is ready', async () => {
      await claim(dataDir);
      const waiting = waitUntilReady(dataDir, (await readOwner(dataDir))!);
      setTimeout(() => void markReady(dataDir, 6123), 300);
      await expect(waiting).resolves.toEqual({ port: 6123 });
    });

    it('fails in one line when the owner is gone before it is ready', async () => {
      const other = spawnSleeper();
      children.push(other);
      const owner = { pid: other.pid!, started: startTime(other.pid!) };
      record(owner);
      const waiting = waitUntilReady(dataDir, owner);
      other.kill('SIGKILL');
      await expect(waiting).rejects.toThrow(
        new EmbeddedPostgresError(`Process ${owner.pid}, which was starting the embedded PostgreSQL in ${dataDir}, stopped: run the command again`),
      );
    });

    it('gives up after its timeout while a live owner is still starting it', async () => {
      const other = spawnSleeper();
      children.push(other);
      const owner = { pid: other.pid!, started: startTime(other.pid!) };
      record(owner);
      await expect(waitUntilReady(dataDir, owner, 500)).rejects.toThrow(`Process ${owner.pid} owns the embedded PostgreSQL in ${dataDir} but has not started it within 0.5 s`);
    });
  });
});
