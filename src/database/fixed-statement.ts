import type { EntityManager } from '@mikro-orm/postgresql';
import { Logger } from '@nestjs/common';
import type { Knex } from 'knex';
import { type Client, Query, type QueryResult, type QueryResultRow } from 'pg';
import { isLostPreparedStatement, statementNamesOf } from './statement-names';

/** The part of a knex client used here: its pool, or, for a transaction's client, the transaction's connection. */
interface ConnectionSource {
  acquireConnection(): Promise<Client>;
  releaseConnection(connection: Client): Promise<unknown>;
}

/** pg's Client#query with a built Query and a callback (its typings know only the promise form for a Query). */
interface TakesQueryAndCallback {
  query<T extends QueryResultRow>(query: Query<T>, callback: (error: Error | null, result: QueryResult<T>) => void): void;
}

const logger = new Logger('Database');

/**
 * Runs one fixed SQL statement with `$1, $2, ...` parameters on this EntityManager's database (inside its
 * transaction, if it has one) and returns the rows. A parameterized query straight on a pg client: em.execute()
 * inlines the values into the SQL text and passes it through knex's query builder and MikroORM's query log, which
 * cost more CPU than the query itself. The connection comes from the same knex pool (the same statement timeout
 * and cancel, see query-timeout.ts), and errors are converted exactly as em.execute() converts them.
 * Outside a transaction the statement is prepared under a name (statement-names.ts): parsed and planned once per
 * connection. Inside one it is sent unnamed, since a retry cannot follow an error there.
 */
export async function runFixedStatement<T extends QueryResultRow>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const transaction = em.getTransactionContext<Knex.Transaction>();
  const source = (transaction ?? em.getConnection().getKnex()).client as unknown as ConnectionSource;
  let connection: Client | undefined;
  try {
    connection = await source.acquireConnection();
    const names = transaction ? undefined : statementNamesOf(connection);
    const name = names?.nameOf(sql);
    try {
      return await queryRows<T>(connection, sql, params, name);
    } catch (error) {
      // nothing ran: the server refused the statement's name before executing it
      if (!name || !names || !isLostPreparedStatement(error)) throw error;
      if (names.disable()) {
        logger.warn('The database (or a pooler in front of it) does not keep prepared statements: statements are sent unnamed from now on. Set DATABASE_PREPARED_STATEMENTS=false to skip this check.');
      }
      return await queryRows<T>(connection, sql, params, undefined);
    }
  } catch (error) {
    throw em.getDriver().convertException(error as Error);
  } finally {
    if (connection) void source.releaseConnection(connection);
  }
}

/**
 * The callback form: query-timeout.ts watches the callback for pg's client-side timeout. A Query built from the
 * text, its name set afterwards: given a config object, pg copies it property by property, a measurable cost
 * per query.
 */
function queryRows<T extends QueryResultRow>(client: Client, sql: string, params: unknown[], name: string | undefined): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const query = new Query<T>(sql, params) as Query<T> & { name?: string };
    if (name) query.name = name;
    (client as unknown as TakesQueryAndCallback).query<T>(query, (error, result) => (error ? reject(error) : resolve(result.rows)));
  });
}
