/**
 * The migrations: they agree with the entities, two instances migrating at once apply each migration once,
 * they need no superuser (on Neon and in production the owner role is not one), and a database made by the
 * previous release upgrades in place.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import argon2 from 'argon2';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../../src/config/app-config';
import { migrateDatabase } from '../../src/database/migrate';
import { ormOptions } from '../../src/database/orm-options';
import { RUN_PREFIX_ENV } from '../support/test-env';
import request from 'supertest';
import { startApp, TEST_JWT_SECRET } from '../support/test-app';
import { adminQuery, adminUrl, createMigratedDatabase, dropDatabase, superuserUrlFor, withDatabase } from '../support/test-database';

const MIGRATION_NAMES = readdirSync(path.join(__dirname, '..', '..', 'migrations'))
  .filter((file) => /^Migration\d+\.ts$/.test(file))
  .map((file) => file.replace(/\.ts$/, ''))
  .sort();

const testConfig = (url: string, env: Record<string, string> = {}) => loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, LOG_LEVEL: 'silent', ...env });

function uniqueName(kind: string): string {
  return `${process.env[RUN_PREFIX_ENV] ?? 'ts_test'}_${kind}_${randomBytes(4).toString('hex')}`;
}

/** An empty database (no tables), dropped by the caller. */
async function createEmptyDatabase(owner?: string): Promise<string> {
  const name = uniqueName('mig');
  await adminQuery(`create database "${name}"${owner ? ` owner "${owner}"` : ''}`);
  return withDatabase(adminUrl(), name);
}

async function withOrm<T>(url: string, body: (orm: MikroORM) => Promise<T>): Promise<T> {
  const orm = await MikroORM.init({ ...ormOptions(testConfig(url), url), logger: () => undefined });
  try {
    return await body(orm);
  } finally {
    await orm.close(true);
  }
}

async function query<R extends Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const recordedMigrations = (url: string) =>
  query<{ name: string; n: number }>(url, 'select name, count(*)::int as n from mikro_orm_migrations group by name order by name');

describe('migrations', () => {
  const databases: string[] = [];
  afterAll(async () => {
    for (const url of databases) await dropDatabase(url);
  });

  it('there is at least one migration', () => {
    expect(MIGRATION_NAMES.length).toBeGreaterThan(0);
  });

  describe('entities and migrations agree', () => {
    it('the schema generator finds nothing to change on a freshly migrated database', async () => {
      const url = await createMigratedDatabase();
      databases.push(url);
      await withOrm(url, async (orm) => {
        await expect(orm.schema.getUpdateSchemaSQL({ wrap: false })).resolves.toBe('');
        const migration = await orm.schema.getUpdateSchemaMigrationSQL({ wrap: false });
        expect(migration.up).toBe('');
        await expect(orm.migrator.checkSchema()).resolves.toBe(false);
      });
    });

    it('the same check sees a difference on a database the migrations have not built (it can fail)', async () => {
      const url = await createEmptyDatabase();
      databases.push(url);
      await withOrm(url, async (orm) => {
        const sql = await orm.schema.getUpdateSchemaSQL({ wrap: false });
        expect(sql).toContain('create table "users"');
        expect(sql).toContain('create table "tasks"');
      });
    });

    it('migrating down removes the schema and migrating up again restores it exactly', async () => {
      const url = await createMigratedDatabase();
      databases.push(url);
      await withOrm(url, async (orm) => {
        await orm.migrator.down({ to: 0 });
        const tables = await query<{ tablename: string }>(url, "select tablename from pg_tables where schemaname = 'public' order by 1");
        expect(tables).toEqual([{ tablename: 'mikro_orm_migrations' }]);
        await expect(orm.migrator.getPending()).resolves.toHaveLength(MIGRATION_NAMES.length);

        await orm.migrator.up();
        await expect(orm.schema.getUpdateSchemaSQL({ wrap: false })).resolves.toBe('');
      });
    });
  });

  it('several instances migrating one fresh database at once all succeed and apply each migration exactly once', async () => {
    const url = await createEmptyDatabase();
    databases.push(url);
    const config = testConfig(url);

    const results = await Promise.all([1, 2, 3].map(() => migrateDatabase(config, () => undefined)));

    expect(results.flat().sort()).toEqual(MIGRATION_NAMES);
    expect(results.filter((applied) => applied.length > 0)).toHaveLength(1);
    await expect(recordedMigrations(url)).resolves.toEqual(MIGRATION_NAMES.map((name) => ({ name, n: 1 })));
    await expect(migrateDatabase(config, () => undefined)).resolves.toEqual([]);
  });

  it('migrates through DATABASE_DIRECT_URL when it is given (DATABASE_URL may be a pooler)', async () => {
    const url = await createEmptyDatabase();
    databases.push(url);
    // DATABASE_URL points nowhere: only the direct URL can have been used
    const config = testConfig('postgres://nobody:nothing@127.0.0.1:1/nowhere', { DATABASE_DIRECT_URL: url, DATABASE_STARTUP_TIMEOUT_MS: '1000' });

    await expect(migrateDatabase(config, () => undefined)).resolves.toEqual(MIGRATION_NAMES);
    await expect(recordedMigrations(url)).resolves.toEqual(MIGRATION_NAMES.map((name) => ({ name, n: 1 })));
  });

  describe('as a role that is not a superuser (as on Neon)', () => {
    const role = uniqueName('owner');
    const password = randomBytes(12).toString('hex');
    let ownerUrl: string;

    let createdRole = false;
    let ownerName = role;

    beforeAll(async () => {
      const [{ rolsuper }] = await query<{ rolsuper: boolean }>(adminUrl(), 'select rolsuper from pg_roles where rolname = current_user');
      if (!rolsuper) {
        // the test server's own role is already not a superuser (e.g. the PgBouncer run, whose pooler knows
        // no other role): migrate as that role, on a database it owns
        ownerUrl = await createEmptyDatabase();
        ownerName = decodeURIComponent(new URL(ownerUrl).username);
        return;
      }
      // only LOGIN: no SUPERUSER, CREATEDB, CREATEROLE or BYPASSRLS; it owns its database
      await adminQuery(`create role "${role}" login password '${password}'`);
      createdRole = true;
      const adminOnIt = await createEmptyDatabase(role);
      const parsed = new URL(adminOnIt);
      parsed.username = role;
      parsed.password = password;
      ownerUrl = parsed.toString();
    });
    afterAll(async () => {
      await dropDatabase(ownerUrl);
      if (createdRole) await adminQuery(`drop role if exists "${role}"`);
    });

    it('the role is not a superuser (and, when this test made it, a plain login role)', async () => {
      const [row] = await query(ownerUrl, 'select rolsuper, rolcreatedb, rolcreaterole, rolbypassrls from pg_roles where rolname = current_user');
      expect(row.rolsuper).toBe(false);
      if (createdRole) expect(row).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolbypassrls: false });
    });

    it('applies every migration, owns what they create, and the schema matches the entities', async () => {
      await expect(migrateDatabase(testConfig(ownerUrl), () => undefined)).resolves.toEqual(MIGRATION_NAMES);

      const owners = await query<{ tablename: string; tableowner: string }>(
        ownerUrl,
        "select tablename, tableowner from pg_tables where schemaname = 'public' order by 1",
      );
      expect(owners).toEqual(['mikro_orm_migrations', 'tasks', 'users'].map((tablename) => ({ tablename, tableowner: ownerName })));
      await withOrm(ownerUrl, async (orm) => {
        await expect(orm.schema.getUpdateSchemaSQL({ wrap: false })).resolves.toBe('');
      });
    });

    it('the role can then use the tables (the cascade included), its tasks as their owner only', async () => {
      const userId = '00000000-0000-4000-8000-000000000001';
      await query(ownerUrl, "insert into users (id, email, password_hash, created_at, updated_at) values ($1, 'owner@example.com', 'x', now(), now())", [userId]);
      // row-level security is forced on tasks: the table's owner too writes and reads them as one user
      const asUser = async (sql: string) => {
        const client = new Client({ connectionString: ownerUrl });
        await client.connect();
        try {
          await client.query('begin');
          await client.query("select set_config('mikro.owner.userId', $1, true)", [userId]);
          const { rows } = await client.query(sql, [userId]);
          await client.query('commit');
          return rows;
        } finally {
          await client.end();
        }
      };
      await asUser("insert into tasks (id, user_id, title, created_at, updated_at) values (gen_random_uuid(), $1, 't', now(), now())");
      await expect(asUser('select count(*)::int as n from tasks where user_id = $1')).resolves.toEqual([{ n: 1 }]);
      await query(ownerUrl, 'delete from users where id = $1', [userId]);
      await expect(asUser('select count(*)::int as n from tasks where user_id = $1')).resolves.toEqual([{ n: 0 }]);
    });
  });

  describe('a database made by the previous release (MikroORM 6) upgrades in place', () => {
    /** The migrations that release shipped, and its migrations table as MikroORM 6 (knex) created it. */
    const PREVIOUS_RELEASE = ['Migration20261126153059', 'Migration20261202143000'];
    const MIKRO_ORM_6_TABLE =
      'create table "mikro_orm_migrations" ("id" serial primary key, "name" varchar(255), "executed_at" timestamptz default CURRENT_TIMESTAMP)';

    it('applies only the new migrations, checks clean, and its users log in and see their tasks', async () => {
      const url = await createMigratedDatabase();
      databases.push(url);
      const superuser = superuserUrlFor(url);
      // back to what the previous release left: its two migrations applied, recorded in MikroORM 6's own table
      await withOrm(url, async (orm) => {
        await orm.migrator.down({ to: PREVIOUS_RELEASE[PREVIOUS_RELEASE.length - 1] });
      });
      // as the service's role, which ran that release's migrations and so owns their table
      await query(url, 'drop table mikro_orm_migrations');
      await query(url, MIKRO_ORM_6_TABLE);
      for (const name of PREVIOUS_RELEASE) await query(url, 'insert into mikro_orm_migrations (name) values ($1)', [name]);
      const userId = randomUUID();
      const email = `upgraded-${randomBytes(4).toString('hex')}@example.com`;
      await query(superuser, 'insert into users (id, email, password_hash, created_at, updated_at) values ($1, $2, $3, now(), now())', [
        userId,
        email,
        await argon2.hash('correct horse battery', { type: argon2.argon2id }),
      ]);
      await query(superuser, "insert into tasks (id, user_id, title, created_at, updated_at) values (gen_random_uuid(), $1, 'from the old release', now(), now())", [userId]);

      const app = await startApp(testConfig(url, { JWT_SECRET: TEST_JWT_SECRET, MIGRATE_ON_START: 'true' }));
      try {
        await expect(recordedMigrations(url)).resolves.toEqual(MIGRATION_NAMES.map((name) => ({ name, n: 1 })));
        await withOrm(url, async (orm) => {
          await expect(orm.migrator.checkSchema()).resolves.toBe(false);
          await expect(orm.migrator.getPending()).resolves.toEqual([]);
        });
        const login = await request(app.getHttpServer()).post('/auth/login').send({ email, password: 'correct horse battery' }).expect(200);
        const list = await request(app.getHttpServer()).get('/tasks').set('Authorization', `Bearer ${login.body.accessToken}`).expect(200);
        expect(list.body.items.map((task: { title: string }) => task.title)).toEqual(['from the old release']);
      } finally {
        await app.close();
      }
    });
  });
});
