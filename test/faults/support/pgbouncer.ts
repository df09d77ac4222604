import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { PgInstance } from './pg-instance';
import { chownR, freePort, isAlive, makeTempDir, postgresUser, sleep, waitFor, type RunAs } from './util';

export const PGBOUNCER_BIN = process.env.FAULTS_PGBOUNCER_BIN ?? '/usr/sbin/pgbouncer';

export interface PgBouncerOptions {
  port?: number;
  poolSize?: number;
  maxClientConn?: number;
  /** Extra [pgbouncer] settings. */
  settings?: Record<string, string | number>;
}

/**
 * PgBouncer configured like Neon's pooler: transaction pooling, SCRAM-SHA-256 client auth, and
 * `ignore_startup_parameters` empty (a client that sends e.g. `options` or `statement_timeout` at start-up is
 * refused, as Neon's pooler does). Every database name is routed to the backend (`*`), so databases created
 * through the bouncer (per-worker test databases) are reachable through it too.
 */
export class PgBouncer {
  readonly runAs: RunAs = postgresUser();
  port = 0;
  dir = '';
  logFile = '';
  private child?: ChildProcess;
  private output = '';

  constructor(private readonly backend: PgInstance, private readonly options: PgBouncerOptions = {}) {}

  static async start(backend: PgInstance, options: PgBouncerOptions = {}): Promise<PgBouncer> {
    const bouncer = new PgBouncer(backend, options);
    await bouncer.start();
    return bouncer;
  }

  async start(): Promise<void> {
    if (!this.dir) {
      this.port = this.options.port ?? (await freePort());
      this.dir = await makeTempDir('faults-pgbouncer', this.runAs);
      this.logFile = path.join(this.dir, 'pgbouncer.log');
      const settings: Record<string, string | number> = {
        listen_addr: '127.0.0.1',
        listen_port: this.port,
        unix_socket_dir: '',
        auth_type: 'scram-sha-256',
        auth_file: path.join(this.dir, 'userlist.txt'),
        pool_mode: 'transaction',
        ignore_startup_parameters: '',
        max_client_conn: this.options.maxClientConn ?? 500,
        default_pool_size: this.options.poolSize ?? 20,
        server_reset_query: 'DISCARD ALL',
        server_check_delay: 0,
        logfile: this.logFile,
        pidfile: path.join(this.dir, 'pgbouncer.pid'),
        admin_users: 'postgres',
        log_connections: 0,
        log_disconnections: 0,
        ...this.options.settings,
      };
      const ini = [
        '[databases]',
        `* = host=127.0.0.1 port=${this.backend.port}`,
        '',
        '[pgbouncer]',
        ...Object.entries(settings).map(([k, v]) => `${k} = ${v}`),
        '',
      ].join('\n');
      const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
      // plain-text passwords: PgBouncer then does SCRAM with the client and with the server
      await fs.writeFile(
        path.join(this.dir, 'userlist.txt'),
        `${q(this.backend.appUser)} ${q(this.backend.appPassword)}\n${q('postgres')} ${q(this.backend.superPassword)}\n`,
        { mode: 0o600 },
      );
      await fs.writeFile(path.join(this.dir, 'pgbouncer.ini'), ini, { mode: 0o600 });
      await chownR(this.dir, this.runAs);
    }
    this.output = '';
    const child = spawn(PGBOUNCER_BIN, [path.join(this.dir, 'pgbouncer.ini')], {
      uid: this.runAs.uid,
      gid: this.runAs.gid,
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
    await waitFor(`PgBouncer on port ${this.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`PgBouncer exited ${child.exitCode}: ${this.output}${await this.log()}`);
      return canConnect(this.port);
    }, { timeoutMs: 15_000, intervalMs: 100 });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT'); // immediate shutdown
    await Promise.race([exited, sleep(5000)]);
    if (isAlive(child.pid)) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  async destroy(): Promise<void> {
    await this.stop();
    if (this.dir && !process.env.FAULTS_KEEP_TMP) await fs.rm(this.dir, { recursive: true, force: true });
  }

  url(database = this.backend.appDatabase, user = this.backend.appUser, password = this.backend.appPassword): string {
    const url = new URL('postgres://127.0.0.1/');
    url.port = String(this.port);
    url.username = user;
    url.password = password;
    url.pathname = `/${database}`;
    return url.toString();
  }

  async log(): Promise<string> {
    return fs.readFile(this.logFile, 'utf8').catch(() => '');
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
