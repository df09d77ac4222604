import { defineConfig, type Options } from '@mikro-orm/postgresql';
import path from 'node:path';
import type { AppConfig } from '../config/app-config';
import { Task } from '../tasks/task.entity';
import { User } from '../users/user.entity';
import { pgConnectionOptions } from './connection-options';
import { ownerFilter } from './owner-filter';
import { cancelTimedOutQueries } from './query-timeout';
import { attachStatementNames, StatementNames } from './statement-names';

/** Migrations live in <repo>/migrations (ts) and compile to dist/migrations (js). */
export const migrationsDir = path.join(__dirname, '..', '..', 'migrations');

/**
 * The MikroORM options for one database URL, shared by the app and the tests. Without the Migrator extension:
 * it loads umzug and its CLI (a tenth of the start-up time), so only what migrates adds it (migrationOrmOptions()
 * in migrate.ts, also used by the CLI's mikro-orm.config.ts).
 * Nothing here relies on session state or startup parameters, so a PgBouncer/Neon pooled URL works:
 * timeouts are client-side (pg's query_timeout, knex's acquire timeout), never `options=-c ...`. The one
 * exception, prepared statements, needs a pooler that keeps them (Neon's does) and turns itself off when it
 * finds one that does not (statement-names.ts).
 */
export function ormOptions(config: AppConfig, url: string): Options {
  const db = config.database;
  const { host, port, user, password, database, ...connection } = pgConnectionOptions(url, db);
  const statementNames = new StatementNames(db.preparedStatements);
  return defineConfig({
    entities: [User, Task],
    host,
    port,
    user,
    password,
    dbName: database,
    filters: { [ownerFilter.name]: ownerFilter },
    // the schema belongs to the migrations; the ORM never creates databases or tables by itself
    ensureDatabase: false,
    // no request may fall back to a shared EntityManager: every request gets its own context
    allowGlobalContext: false,
    forceUtcTimezone: true,
    // every flush here writes one statement, atomic by itself: no BEGIN/COMMIT round trips, and no COMMIT
    // that a dropped connection can fail with an error no SQLSTATE explains (that would be a 500, not a 503).
    // Code that writes several rows at once must use em.transactional() explicitly.
    implicitTransactions: false,
    discovery: { warnWhenNoEntities: false },
    pool: {
      min: db.poolMin,
      max: db.poolMax,
      idleTimeoutMillis: db.idleTimeoutMs,
      // each new connection: its pool's statement names, then the cancel of timed-out statements (which calls done)
      afterCreate: ((connection, done) => {
        attachStatementNames(connection, statementNames);
        cancelTimedOutQueries(connection, done);
      }) satisfies typeof cancelTimedOutQueries,
    } as Options['pool'],
    driverOptions: {
      acquireConnectionTimeout: db.acquireTimeoutMs,
      connection: {
        ...connection,
        connectionTimeoutMillis: db.connectTimeoutMs,
        query_timeout: db.statementTimeoutMs,
        keepAlive: true,
      },
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
