import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../test/support/free-port';
import {
  APP_DATABASE,
  APP_ROLE,
  checkTrustedDirectory,
  EmbeddedPostgres,
  EmbeddedPostgresError,
  ensureTrustedDirectory,
  serverEnvironment,
} from './embedded-postgres';

const isRoot = process.getuid?.() === 0;
const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
const OTHER_UID = 65534; // nobody

describe('the checks on folders under /var/tmp', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'embedded-pg-checks-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('accepts a real directory owned by the expected user and writable by no one else', async () => {
    const dir = path.join(tmp, 'ok');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    await expect(checkTrustedDirectory(dir, me.uid)).resolves.toBeUndefined();
  });

  it('refuses a symlink, even to a good directory, naming the path', async () => {
    const target = path.join(tmp, 'target');
    mkdirSync(target, { mode: 0o700 });
    const link = path.join(tmp, 'link');
    symlinkSync(target, link);
    await expect(checkTrustedDirectory(link, me.uid)).rejects.toThrow(new EmbeddedPostgresError(`${link} is a symlink, not a directory: remove it (it is not trusted)`));
    await expect(ensureTrustedDirectory(link, { ...me, mode: 0o700 })).rejects.toThrow(EmbeddedPostgresError);
  });

  it.each([
    ['world-writable', 0o777],
    ['world-writable with the sticky bit (as /tmp)', 0o1777],
    ['group-writable', 0o775],
  ])('refuses a %s directory', async (_name, mode) => {
    const dir = path.join(tmp, 'open');
    mkdirSync(dir);
    chmodSync(dir, mode);
    await expect(checkTrustedDirectory(dir, me.uid)).rejects.toThrow(
      new EmbeddedPostgresError(`${dir} is writable by group or others (mode ${mode.toString(8)}): remove it (it is not trusted)`),
    );
  });

  it('refuses a file where a directory is expected', async () => {
    const file = path.join(tmp, 'file');
    writeFileSync(file, '');
    await expect(checkTrustedDirectory(file, me.uid)).rejects.toThrow(EmbeddedPostgresError);
    await expect(ensureTrustedDirectory(file, { ...me, mode: 0o755 })).rejects.toThrow(`${file} is not a directory`);
  });

  it('refuses a directory owned by another user', async () => {
    const dir = path.join(tmp, 'theirs');
    mkdirSync(dir, { mode: 0o755 });
    if (isRoot) {
      chownSync(dir, OTHER_UID, OTHER_UID);
      await expect(checkTrustedDirectory(dir, me.uid)).rejects.toThrow(
        new EmbeddedPostgresError(`${dir} is owned by uid ${OTHER_UID}, not ${me.uid}: remove it (it is not trusted)`),
      );
    } else {
      // without root no folder can be given away: expect another owner than oneself instead
      await expect(checkTrustedDirectory(dir, me.uid + 1)).rejects.toThrow(`${dir} is owned by uid ${me.uid}, not ${me.uid + 1}`);
    }
  });

  it('creates a missing directory with the exact mode, whatever the umask, and says it did', async () => {
    const dir = path.join(tmp, 'new');
    const umask = process.umask(0o077);
    try {
      await expect(ensureTrustedDirectory(dir, { ...me, mode: 0o755 })).resolves.toBe(true);
    } finally {
      process.umask(umask);
    }
    expect(statSync(dir).mode & 0o7777).toBe(0o755);
    await expect(ensureTrustedDirectory(dir, { ...me, mode: 0o755 })).resolves.toBe(false);
  });

  (isRoot ? it : it.skip)('as root, gives a directory it creates to the expected owner, and reuses it only if that owner keeps it', async () => {
    const dir = path.join(tmp, 'data');
    await expect(ensureTrustedDirectory(dir, { uid: OTHER_UID, gid: OTHER_UID, mode: 0o700 })).resolves.toBe(true);
    expect(lstatSync(dir)).toMatchObject({ uid: OTHER_UID, gid: OTHER_UID });
    expect(lstatSync(dir).mode & 0o7777).toBe(0o700);
    await expect(ensureTrustedDirectory(dir, { uid: OTHER_UID, gid: OTHER_UID, mode: 0o700 })).resolves.toBe(false);
    await expect(ensureTrustedDirectory(dir, { ...me, mode: 0o700 })).rejects.toThrow(`${dir} is owned by uid ${OTHER_UID}, not ${me.uid}`);
  });

  (isRoot ? it : it.skip)('as root, never changes the owner of what a planted symlink points to', async () => {
    const target = path.join(tmp, 'target');
    mkdirSync(target, { mode: 0o755 });
    const link = path.join(tmp, 'planted');
    symlinkSync(target, link);
    await expect(ensureTrustedDirectory(link, { uid: OTHER_UID, gid: OTHER_UID, mode: 0o700 })).rejects.toThrow(`${link} is a symlink`);
    expect(statSync(target).uid).toBe(me.uid);
  });
});

describe(serverEnvironment.name, () => {
  it('passes PATH, the C locale and TZ/TMPDIR only', () => {
    expect(serverEnvironment({ PATH: '/bin', JWT_SECRET: 's', DATABASE_URL: 'postgres://x', TZ: 'UTC', HOME: '/root' })).toEqual({
      PATH: '/bin',
      LC_ALL: 'C',
      LANG: 'C',
      TZ: 'UTC',
    });
  });
});

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
    for (const p of [tmp, ...(pg ? [pg.dataDir, `${pg.dataDir}.password`, `${pg.dataDir}.app-password`] : [])]) rmSync(p, { recursive: true, force: true });
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
});
