import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig } from '../../src/config/app-config';
import { migrateDatabase } from '../../src/database/migrate';
import { ADMIN_URL_ENV, RUN_PREFIX_ENV } from './test-env';


export function adminUrl(): string {
  const url = process.env[ADMIN_URL_ENV];
  if (!url) throw new Error(`${ADMIN_URL_ENV} is not set: run the tests through jest (npm test), whose global setup sets it`);
  return url;
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

/** A fresh database for one test file, created empty and built by the migrations (never by hand). */
export async function createMigratedDatabase(): Promise<string> {
  const name = `${process.env[RUN_PREFIX_ENV] ?? 'ts_test'}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database "${name}"`);
  const url = withDatabase(adminUrl(), name);
  await migrateDatabase(loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, LOG_LEVEL: 'silent' }), () => undefined);
  return url;
}

export async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await adminQuery(`drop database if exists "${name}" with (force)`);
}
