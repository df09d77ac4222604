import type { EntityManager } from '@mikro-orm/postgresql';
import type { Knex } from 'knex';
import type { Client, QueryResult, QueryResultRow } from 'pg';

/** The part of a knex client used here: its pool, or, for a transaction's client, the transaction's connection. */
interface ConnectionSource {
  acquireConnection(): Promise<Client>;
  releaseConnection(connection: Client): Promise<unknown>;
}

/**
 * Runs one fixed SQL statement with `$1, $2, ...` parameters on this EntityManager's database (inside its
 * transaction, if it has one) and returns the rows. A parameterized query straight on a pg client: em.execute()
 * inlines the values into the SQL text and passes it through knex's query builder and MikroORM's query log, which
 * cost more CPU than the query itself. The connection comes from the same knex pool (the same statement timeout
 * and cancel, see query-timeout.ts), and errors are converted exactly as em.execute() converts them.
 */
export async function runFixedStatement<T extends QueryResultRow>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const knex = em.getTransactionContext<Knex.Transaction>() ?? em.getConnection().getKnex();
  const source = knex.client as unknown as ConnectionSource;
  let connection: Client | undefined;
  try {
    connection = await source.acquireConnection();
    return await queryRows<T>(connection, sql, params);
  } catch (error) {
    throw em.getDriver().convertException(error as Error);
  } finally {
    if (connection) void source.releaseConnection(connection);
  }
}

/**
 * The callback form: query-timeout.ts watches the callback for pg's client-side timeout. Text and values as separate
 * arguments: pg copies a config object property by property, a measurable cost per query.
 */
function queryRows<T extends QueryResultRow>(client: Client, sql: string, params: unknown[]): Promise<T[]> {
  return new Promise((resolve, reject) => {
    client.query<T>(sql, params, (error: Error | null, result: QueryResult<T>) => (error ? reject(error) : resolve(result.rows)));
  });
}
