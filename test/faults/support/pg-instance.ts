import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Client, type ClientConfig } from 'pg';
import { makeCa, makeServerCert, type CertificateAuthority } from './tls';
import { chownR, exec, freePort, makeTempDir, postgresUser, type RunAs } from './util';

export const PG_BIN = process.env.FAULTS_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export type ShutdownMode = 'smart' | 'fast' | 'immediate';

export interface PgInstanceOptions {
  /** Port to listen on (default: a free one). Never 5432: that is the machine's shared server. */
  port?: number;
  /** Serve TLS with a self-signed certificate; with tlsOnly, plain TCP connections are rejected by pg_hba. */
  tls?: boolean;
  tlsOnly?: boolean;
  /** Give the app role CREATEDB (the e2e harness creates per-worker databases). */
  appCreateDb?: boolean;
  /** Give the app role CREATEROLE too (Neon's owner role has CREATEDB and CREATEROLE, never SUPERUSER). */
  appCreateRole?: boolean;
  /** Extra postgresql.conf lines. */
  settings?: Record<string, string | number>;
  /** A name for the temp folder (helps when reading leftovers). */
  name?: string;
}

/**
 * A throw-away PostgreSQL 15 cluster of the test's own: initdb in a temp folder, run as the `postgres` user,
 * listening on 127.0.0.1 only with no Unix socket, SCRAM auth. The application database `app` is owned by the
 * non-superuser role `app`, as on Neon; the superuser is used only by the tests themselves (faults, checks).
 */
export class PgInstance {
  readonly runAs: RunAs = postgresUser();
  readonly appUser = 'app';
  readonly appPassword = `app-${randomBytes(9).toString('hex')}`;
  readonly appDatabase = 'app';
  readonly superPassword = `su-${randomBytes(9).toString('hex')}`;
  port = 0;
  baseDir = '';
  dataDir = '';
  logFile = '';
  ca?: CertificateAuthority;
  private initialised = false;

  constructor(private readonly options: PgInstanceOptions = {}) {}

  static async create(options: PgInstanceOptions = {}): Promise<PgInstance> {
    const pg = new PgInstance(options);
    await pg.init();
    await pg.start();
    await pg.createAppDatabase();
    return pg;
  }

  /** initdb + configuration (+ certificates). */
  async init(): Promise<void> {
    if (this.initialised) return;
    this.port = this.options.port ?? (await freePort());
    if (this.port === 5432) throw new Error('Port 5432 belongs to the machine\'s shared PostgreSQL');
    this.baseDir = await makeTempDir(`faults-pg-${this.options.name ?? 'db'}`, this.runAs);
    this.dataDir = path.join(this.baseDir, 'data');
    this.logFile = path.join(this.baseDir, 'server.log');
    const pwFile = path.join(this.baseDir, 'pwfile');
    await fs.writeFile(pwFile, `${this.superPassword}\n`, { mode: 0o600 });
    await chownR(this.baseDir, this.runAs);
    await exec(path.join(PG_BIN, 'initdb'), [
      '-D', this.dataDir, '-U', 'postgres', '-A', 'scram-sha-256', `--pwfile=${pwFile}`,
      '-E', 'UTF8', '--locale=C', '--no-sync',
    ], { runAs: this.runAs });
    await fs.rm(pwFile, { force: true });

    const conf: Record<string, string | number> = {
      listen_addresses: "'127.0.0.1'",
      port: this.port,
      unix_socket_directories: "''",
      max_connections: 100,
      shared_buffers: "'32MB'",
      password_encryption: "'scram-sha-256'",
      log_connections: 'off',
      log_min_messages: "'warning'",
      ...this.options.settings,
    };
    const hba: string[] = [];
    if (this.options.tls || this.options.tlsOnly) {
      this.ca = await makeCa(path.join(this.baseDir, 'tls'), 'faults');
      const server = await makeServerCert(this.dataDir, this.ca);
      conf.ssl = 'on';
      conf.ssl_cert_file = `'${server.certFile}'`;
      conf.ssl_key_file = `'${server.keyFile}'`;
      await chownR(this.dataDir, this.runAs);
      await chownR(path.join(this.baseDir, 'tls'), this.runAs);
    }
    if (this.options.tlsOnly) {
      hba.push('hostssl all all 127.0.0.1/32 scram-sha-256', 'hostnossl all all 127.0.0.1/32 reject');
    } else {
      hba.push('host all all 127.0.0.1/32 scram-sha-256');
    }
    await fs.appendFile(
      path.join(this.dataDir, 'postgresql.conf'),
      '\n# test/faults\n' + Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n',
    );
    await fs.writeFile(path.join(this.dataDir, 'pg_hba.conf'), hba.join('\n') + '\n');
    await chownR(this.dataDir, this.runAs);
    this.initialised = true;
  }

  private pgCtl(args: string[], timeoutMs = 90_000) {
    return exec(path.join(PG_BIN, 'pg_ctl'), ['-D', this.dataDir, ...args], { runAs: this.runAs, timeoutMs });
  }

  async start(): Promise<void> {
    await this.pgCtl(['start', '-w', '-t', '60', '-l', this.logFile]);
  }

  async stop(mode: ShutdownMode = 'fast'): Promise<void> {
    if (!(await this.isRunning())) return;
    await this.pgCtl(['stop', '-w', '-t', '60', '-m', mode]);
  }

  async restart(mode: ShutdownMode = 'fast'): Promise<void> {
    await this.stop(mode);
    await this.start();
  }

  async isRunning(): Promise<boolean> {
    return this.pgCtl(['status'], 10_000).then(() => true, () => false);
  }

  /** Stops the server (immediate: teardown must not wait on anything) and removes its files. */
  async destroy(): Promise<void> {
    if (!this.dataDir) return;
    await this.stop('immediate').catch(() => undefined);
    if (!process.env.FAULTS_KEEP_TMP) await fs.rm(this.baseDir, { recursive: true, force: true });
  }

  /** The application's connection URL (pooled or not, as the service sees it). */
  appUrl(options: { host?: string; port?: number; database?: string; query?: Record<string, string> } = {}): string {
    const url = new URL(`postgres://127.0.0.1/`);
    url.hostname = options.host ?? '127.0.0.1';
    url.port = String(options.port ?? this.port);
    url.username = this.appUser;
    url.password = this.appPassword;
    url.pathname = `/${options.database ?? this.appDatabase}`;
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    return url.toString();
  }

  /** The superuser's URL, straight to the server (past any pooler and past row-level security). */
  superUrl(database = 'postgres'): string {
    const url = new URL('postgres://127.0.0.1/');
    url.port = String(this.port);
    url.username = 'postgres';
    url.password = this.superPassword;
    url.pathname = `/${database}`;
    return url.toString();
  }

  superConfig(database = 'postgres'): ClientConfig {
    return {
      host: '127.0.0.1',
      port: this.port,
      user: 'postgres',
      password: this.superPassword,
      database,
      ssl: this.options.tls || this.options.tlsOnly ? { rejectUnauthorized: false } : undefined,
      connectionTimeoutMillis: 5000,
    };
  }

  /** Runs SQL as the superuser on a fresh connection (closed after). */
  async superQuery<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<R[]> {
    const client = new Client(this.superConfig(database));
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as R[];
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** A long-lived superuser client (to hold locks, say). */
  async superClient(database = this.appDatabase): Promise<Client> {
    const client = new Client(this.superConfig(database));
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  async createAppDatabase(): Promise<void> {
    const q = (s: string) => s.replace(/'/g, "''");
    await this.superQuery(`create role ${this.appUser} login password '${q(this.appPassword)}' nosuperuser ${this.options.appCreateRole ? 'createrole' : 'nocreaterole'} ${this.options.appCreateDb ? 'createdb' : 'nocreatedb'}`);
    await this.superQuery(`create database ${this.appDatabase} owner ${this.appUser}`);
  }

  /** What Neon does when its compute suspends: every connection of `user` is cut. Returns how many were. */
  async terminateBackends(user = this.appUser): Promise<number> {
    const rows = await this.superQuery<{ n: string }>(
      'select count(*) filter (where pg_terminate_backend(pid)) as n from pg_stat_activity where usename = $1 and pid <> pg_backend_pid()',
      [user],
    );
    return Number(rows[0].n);
  }

  async backendCount(user = this.appUser): Promise<number> {
    const rows = await this.superQuery<{ n: string }>('select count(*) as n from pg_stat_activity where usename = $1', [user]);
    return Number(rows[0].n);
  }

  async log(): Promise<string> {
    return fs.readFile(this.logFile, 'utf8').catch(() => '');
  }
}
