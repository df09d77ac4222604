import { defineConfig, type Options } from '@mikro-orm/postgresql';
import path from 'node:path';
import type { AppConfig } from '../config/app-config';
import { Task } from '../tasks/task.entity';
import { User } from '../users/user.entity';
import { pgConnectionOptions } from './connection-options';

/** Migrations live in <repo>/migrations (ts) and compile to dist/migrations (js). */
export const migrationsDir = path.join(__dirname, '..', '..', 'migrations');

/**
 * The MikroORM options for one database URL, shared by the app and the tests. Without the Migrator extension:
 * it loads umzug and its CLI (a tenth of the start-up time), so only what migrates adds it (migrationOrmOptions()
 * in migrate.ts, also used by the CLI's mikro-orm.config.ts).
 * Nothing here relies on session state or startup parameters, so a PgBouncer/Neon pooled URL works. Timeouts:
 * the database's own statement_timeout (set by a migration, passed through by poolers as a database default)
 * ends a slow statement and frees its connection; pg's query_timeout and its pool's connectionTimeoutMillis bound the
 * wait for a database or network that does not answer at all.
 */
export function ormOptions(config: AppConfig, url: string): Options {
  const db = config.database;
  const { host, port, user, password, database, ...connection } = pgConnectionOptions(url, db);
  return defineConfig({
    entities: [User, Task],
    host,
    port,
    user,
    password,
    dbName: database,
    // the schema belongs to the migrations; the ORM never creates databases or tables by itself
    ensureDatabase: false,
    // no request may fall back to a shared EntityManager: every request gets its own context
    allowGlobalContext: false,
    forceUtcTimezone: true,
    // the owner filter's parameter reaches the row-level security policy as a transaction-local setting
    // (set_config(..., true) after BEGIN): it cannot outlive its transaction on a pooled connection, which is
    // what PgBouncer in transaction mode (Neon's pooler) needs. It requires implicit transactions.
    sessionContext: 'transaction',
    implicitTransactions: true,
    discovery: { warnWhenNoEntities: false },
    pool: { min: db.poolMin, max: db.poolMax, idleTimeoutMillis: db.idleTimeoutMs },
    // pg's Pool options: connectionTimeoutMillis bounds the wait for a pooled connection, opening one included
    driverOptions: {
      ...connection,
      connectionTimeoutMillis: db.acquireTimeoutMs,
      query_timeout: db.queryTimeoutMs,
      keepAlive: true,
    },
    migrations: {
      path: migrationsDir,
      pathTs: migrationsDir,
      glob: '!(*.d).{js,ts}',
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      // diff against the migrated database itself, never against a snapshot file that can drift
      snapshot: false,
      emit: 'ts',
    },
    debug: false,
  });
}
