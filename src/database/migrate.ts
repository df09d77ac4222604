import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import type { AppConfig } from '../config/app-config';
import { ormOptions } from './orm-options';
import { waitForDatabase } from './wait-for-database';

/** Any constant shared by every instance: two instances migrating at once queue on it. */
const MIGRATION_LOCK_KEY = 7_305_112_841;

/** ormOptions() plus the Migrator: for the CLI and for migrateDatabase(). */
export function migrationOrmOptions(config: AppConfig, url: string): Options {
  return { ...ormOptions(config, url), extensions: [Migrator] };
}

/**
 * Applies pending migrations in one transaction that first takes a transaction-level advisory lock.
 * The list of applied migrations is read inside that transaction, after the lock, so a second instance
 * starting at the same time waits and then finds nothing to do. A transaction lock (unlike a session lock)
 * also holds through a PgBouncer pooled URL, though the direct URL is used when one is configured.
 */
export async function migrateDatabase(config: AppConfig, log: (message: string) => void): Promise<string[]> {
  const url = config.database.directUrl ?? config.database.url;
  if (!url) throw new Error('migrateDatabase needs a database URL');
  // the caller reports what was applied; MikroORM's own migrator lines would repeat it
  const orm = await MikroORM.init({ ...migrationOrmOptions(config, url), pool: { min: 0, max: 2 }, logger: () => undefined });
  try {
    await waitForDatabase(orm, config.database.startupTimeoutMs, log);
    const connection = orm.em.getConnection();
    const applied = await connection.transactional(async (trx) => {
      // raw SQL, as no ORM API offers these: the lock that queues a second instance, and no statement_timeout
      // (the database's default, which a migration sets) for the wait on it and for slow DDL on large tables
      await connection.execute('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY], 'run', trx);
      await connection.execute('set local statement_timeout = 0', [], 'run', trx);
      return orm.migrator.up({ transaction: trx });
    });
    return applied.map((migration) => migration.name);
  } finally {
    await orm.close(true);
  }
}
