import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig } from '../../src/config/app-config';
import { migrateDatabase } from '../../src/database/migrate';
import { ADMIN_URL_ENV, APP_URL_ENV, RUN_PREFIX_ENV, SUPERUSER_URL_ENV } from './test-env';


function fromEnv(name: string): string {
  const url = process.env[name];
  if (!url) throw new Error(`${name} is not set: run the tests through jest (npm test), whose global setup sets it`);
  return url;
}

/** Where the tests create and drop databases. */
export function adminUrl(): string {
  return fromEnv(ADMIN_URL_ENV);
}

/** The service's role on the test server: no superuser, owner of each test database, held by row-level security. */
export function appUrl(): string {
  return fromEnv(APP_URL_ENV);
}

/** A superuser on the test server, which row-level security does not hold: to arrange and check what is stored. */
export function superuserUrl(): string {
  return fromEnv(SUPERUSER_URL_ENV);
}

/** The ordinary role the tests make for the service when the test server's URL is a superuser's. */
const TEST_APP_ROLE = 'task_service_test';

/**
 * Sets the three URLs above from the test server's (a superuser's, or an ordinary role that may create databases,
 * as the PgBouncer run gives, with TEST_SUPERUSER_URL beside it). Called once by the global setup.
 */
export async function prepareTestRoles(serverAdminUrl: string): Promise<void> {
  process.env[ADMIN_URL_ENV] = serverAdminUrl;
  const client = new Client({ connectionString: serverAdminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ rolsuper: boolean }>('select rolsuper from pg_roles where rolname = current_user');
    if (!rows[0].rolsuper) {
      // already an ordinary role: the service connects as it, and a superuser must be named for the checks
      process.env[APP_URL_ENV] = serverAdminUrl;
      process.env[SUPERUSER_URL_ENV] = fromEnv('TEST_SUPERUSER_URL');
      return;
    }
    // a role per server, kept between runs (roles are not per database); its password matters only where the
    // server asks for one
    await client.query(`do $$ begin
      create role ${TEST_APP_ROLE} login password '${TEST_APP_ROLE}' nosuperuser nobypassrls nocreatedb nocreaterole;
    exception when duplicate_object then null; end $$`);
    const app = new URL(serverAdminUrl);
    app.username = TEST_APP_ROLE;
    app.password = TEST_APP_ROLE;
    process.env[APP_URL_ENV] = app.toString();
    process.env[SUPERUSER_URL_ENV] = serverAdminUrl;
  } finally {
    await client.end();
  }
}

/**
 * The database server itself, never a pooler in front of it: for tests of how the service tells the server's
 * own refusals apart (wrong password, unknown database). PgBouncer answers each of those as its own 08P01
 * "cannot connect", so the PgBouncer run (test/faults/e2e-through-pgbouncer.ts) sets TEST_DIRECT_DATABASE_URL.
 */
export function serverUrl(): string {
  return process.env.TEST_DIRECT_DATABASE_URL ?? adminUrl();
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** One statement on a connection of its own, closed afterwards (create/drop database and the like). */
export async function queryOnce(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function adminQuery(sql: string): Promise<void> {
  await queryOnce(adminUrl(), sql);
}

/**
 * A fresh database for one test file, owned by the service's role, created empty and built by the migrations
 * (never by hand), run as that role as in production. Returns the service's URL for it.
 */
export async function createMigratedDatabase(): Promise<string> {
  const url = await createServiceDatabase();
  await migrateDatabase(loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, LOG_LEVEL: 'silent' }), () => undefined);
  return url;
}

/** An empty database owned by the service's role (a service started on it migrates it). Returns the service's URL. */
export async function createServiceDatabase(): Promise<string> {
  const name = `${process.env[RUN_PREFIX_ENV] ?? 'ts_test'}_${randomBytes(4).toString('hex')}`;
  const app = appUrl();
  const owner = decodeURIComponent(new URL(app).username);
  await adminQuery(app === adminUrl() ? `create database "${name}"` : `create database "${name}" owner "${owner}"`);
  return withDatabase(app, name);
}

/**
 * For the suites that run without jest's global setup (Redis, fleet): the same roles on the given server, once
 * per process, and a prefix for the databases this process creates.
 */
export async function useTestServer(serverAdminUrl: string, prefix: string): Promise<void> {
  if (process.env[ADMIN_URL_ENV]) return;
  process.env[RUN_PREFIX_ENV] = `${prefix}_${process.pid}`;
  await prepareTestRoles(serverAdminUrl);
}

/** The superuser's URL for the same database as `url`: past row-level security. */
export function superuserUrlFor(url: string): string {
  return withDatabase(superuserUrl(), new URL(url).pathname.slice(1));
}

export async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await adminQuery(`drop database if exists "${name}" with (force)`);
}
