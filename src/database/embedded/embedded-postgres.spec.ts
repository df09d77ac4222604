import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../../test/support/free-port';
import { APP_DATABASE, APP_ROLE, EmbeddedPostgres, EmbeddedPostgresError } from '.';

describe(EmbeddedPostgres.name, () => {
  const MARKER = 'TASK_SERVICE_EMBEDDED_PG_ENV_MARKER';
  let tmp: string;
  let pg: EmbeddedPostgres | undefined;
  const logged: string[] = [];

  async function start(): Promise<EmbeddedPostgres> {
    pg = await EmbeddedPostgres.start({ dataDir: path.join(tmp, 'pg'), port: await freePort(), log: (m) => logged.push(m) });
    return pg;
  }

  async function query<T extends object>(url: string, sql: string): Promise<T[]> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'embedded-pg-'));
    chmodSync(tmp, 0o755); // reachable by the postgres user when run as root: the data stays here
  });
  afterAll(async () => {
    await pg?.stop();
    delete process.env[MARKER];
    for (const p of [tmp, ...(pg ? [pg.dataDir, `${pg.dataDir}.password`, `${pg.dataDir}.app-password`, `${pg.dataDir}.owner`] : [])]) rmSync(p, { recursive: true, force: true });
  });

  it('gives PostgreSQL none of the service’s environment', async () => {
    process.env[MARKER] = 'secret-value-that-must-not-reach-postgres';
    const started = await start();
    const pid = Number(readFileSync(path.join(started.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ.some((entry) => entry.startsWith(`${MARKER}=`))).toBe(false);
    expect(environ.join('\n')).not.toContain('secret-value-that-must-not-reach-postgres');
    expect(environ).toContain('LC_ALL=C');
  }, 120_000);

  it('connects the service as a non-superuser role that owns its database and may ALTER DATABASE it', async () => {
    const url = new URL(pg!.url);
    expect(url.username).toBe(APP_ROLE);
    expect(url.pathname).toBe(`/${APP_DATABASE}`);
    const [me] = await query<{ user: string; superuser: boolean; owner: string }>(
      pg!.url,
      `select current_user as user, (select rolsuper from pg_roles where rolname = current_user) as superuser,
              (select pg_get_userbyid(datdba) from pg_database where datname = current_database()) as owner`,
    );
    expect(me).toEqual({ user: APP_ROLE, superuser: false, owner: APP_ROLE });
    await query(pg!.url, `create table probe (id int); drop table probe; alter database "${APP_DATABASE}" set statement_timeout = '30s'`);
    const [admin] = await query<{ superuser: boolean }>(pg!.adminUrl, 'select rolsuper as superuser from pg_roles where rolname = current_user');
    expect(admin.superuser).toBe(true);
    expect(statSync(`${pg!.dataDir}.app-password`).mode & 0o777).toBe(0o600);
    expect(statSync(`${pg!.dataDir}.password`).mode & 0o777).toBe(0o600);
  }, 60_000);

  it('moves the tables of a data folder from an older version (database postgres, no role app) to the app role', async () => {
    // the older layout: the service's tables in the superuser's database `postgres`, no role or database `app`
    await query(pg!.adminUrl, `drop database "${APP_DATABASE}"`);
    await query(pg!.adminUrl, `drop role "${APP_ROLE}"`);
    await query(pg!.adminUrl, `create table users (id serial primary key, email text); insert into users (email) values ('kept@example.com')`);
    await pg!.stop();
    logged.length = 0;

    const restarted = await start();
    expect(logged).toEqual([`Embedded PostgreSQL: moved the service's tables from the database "postgres" (an older layout) to the database "${APP_DATABASE}", owned by the role "${APP_ROLE}"`]);
    const rows = await query<{ email: string; owner: string }>(
      restarted.url,
      `select email, (select tableowner from pg_tables where tablename = 'users') as owner from users`,
    );
    expect(rows).toEqual([{ email: 'kept@example.com', owner: APP_ROLE }]);
    await query(restarted.url, `insert into users (email) values ('new@example.com')`); // its sequence moved too
    // the cluster's `postgres` database is a new, empty one for administration
    expect(await query(restarted.adminUrl, `select 1 from pg_tables where schemaname = 'public'`)).toEqual([]);

    // and the next start finds nothing to do
    await restarted.stop();
    logged.length = 0;
    await start();
    expect(logged).toEqual([]);
  }, 120_000);

  it('refuses, in one line, to start a cluster a live process owns, and leaves it running', async () => {
    // this process owns the running cluster: a second owner, of whatever process, is refused
    const owner = pg!;
    const postmaster = readFileSync(path.join(owner.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0];
    const refused = EmbeddedPostgres.start({ dataDir: path.join(tmp, 'pg'), port: await freePort(), log: (m) => logged.push(m) });
    await expect(refused).rejects.toThrow(
      new EmbeddedPostgresError(
        `The embedded PostgreSQL in ${owner.dataDir} is in use by process ${process.pid} (a running service?): stop that first, or give this one its own EMBEDDED_PG_DIR and EMBEDDED_PG_PORT`,
      ),
    );
    expect(readFileSync(path.join(owner.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]).toBe(postmaster);
    expect(await query(owner.url, 'select 1 as one')).toEqual([{ one: 1 }]);
  }, 60_000);

  it('lets a command join the running cluster at its owner\'s port, and its stop() leaves the cluster running', async () => {
    const owner = pg!;
    logged.length = 0;
    const joined = await EmbeddedPostgres.startOrJoin({ dataDir: path.join(tmp, 'pg'), port: await freePort(), log: (m) => logged.push(m) });
    expect(joined.owned).toBe(false);
    expect(joined.url).toBe(owner.url); // the owner's port, not the one asked for
    expect(logged).toEqual([`Using the embedded PostgreSQL in ${owner.dataDir} (port ${new URL(owner.url).port}) of process ${process.pid}; it stays running`]);
    await joined.stop();
    expect(await query(owner.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    // the owner's stop() does stop it, and gives up the claim
    await owner.stop();
    await expect(query(owner.url, 'select 1')).rejects.toThrow(/ECONNREFUSED/);
    expect(existsSync(`${owner.dataDir}.owner`)).toBe(false);
  }, 60_000);
});
