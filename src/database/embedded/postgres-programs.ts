import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { EmbeddedPostgresError } from './errors';
import type { RunAs } from './run-as';

const run = promisify(execFile);

/**
 * What initdb, pg_ctl and the server (which inherits pg_ctl's) see: nothing of the service's environment, where
 * JWT_SECRET and the database URLs live. A superuser can read a server's environment back through
 * `copy ... from program 'env'`.
 */
export function serverEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const minimal: Record<string, string> = { PATH: env.PATH || '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' };
  for (const name of ['TZ', 'TMPDIR']) {
    const value = env[name];
    if (value) minimal[name] = value;
  }
  return minimal;
}

/** PostgreSQL's own programs (initdb, pg_ctl) on one data folder, run as `runAs` with serverEnvironment(). */
export class PostgresPrograms {
  constructor(
    private readonly binDir: string,
    private readonly runAs: RunAs,
    readonly dataDir: string,
  ) {}

  /** A new cluster whose superuser `postgres` has `password`; the folder must be empty. */
  async initdb(password: string): Promise<void> {
    const entries = await fs.readdir(this.dataDir).catch(() => []);
    if (entries.length > 0) {
      throw new EmbeddedPostgresError(`${this.dataDir} is not empty and holds no PostgreSQL cluster: move it away or set EMBEDDED_PG_DIR`);
    }
    const pwFile = path.join(os.tmpdir(), `task-service-pw-${randomBytes(6).toString('hex')}`);
    // 'wx': a new file, never one (or a symlink) someone else put there
    await fs.writeFile(pwFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
    try {
      if (this.runAs.uid !== undefined) await fs.lchown(pwFile, this.runAs.uid, this.runAs.gid ?? 0);
      await this.exec('initdb', ['-D', this.dataDir, '-U', 'postgres', '-A', 'scram-sha-256', `--pwfile=${pwFile}`, '-E', 'UTF8', '--locale=C']);
    } finally {
      await fs.rm(pwFile, { force: true });
    }
  }

  /** Starts the server on 127.0.0.1:`port` only (no Unix socket) and waits until it accepts connections. */
  async start(port: number): Promise<void> {
    await this.pgCtl([
      'start', '-w', '-t', '60',
      '-l', path.join(this.dataDir, 'server.log'),
      '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
    ]);
  }

  async stop(): Promise<void> {
    if (await this.isRunning()) await this.pgCtl(['stop', '-m', 'fast', '-w', '-t', '30']);
  }

  isRunning(): Promise<boolean> {
    return this.pgCtl(['status']).then(() => true, () => false);
  }

  private pgCtl(args: string[]) {
    return this.exec('pg_ctl', ['-D', this.dataDir, ...args]);
  }

  private exec(binary: string, args: string[]) {
    return run(path.join(this.binDir, binary), args, { ...this.runAs, cwd: '/', env: serverEnvironment() });
  }
}
