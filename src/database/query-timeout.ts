import type { Client } from 'pg';

/** pg's client-side timeout (config `query_timeout`) rejects with this message and no code. */
const QUERY_TIMEOUT_MESSAGE = 'Query read timeout';

type PgClient = Client & {
  __knex__disposed?: unknown;
  activeQuery?: unknown;
  _activeQuery?: unknown;
  connectionParameters: ConstructorParameters<typeof Client>[0];
};
type QueryCallback = (error: Error | null, result?: unknown) => void;

/**
 * A statement that outlives DATABASE_STATEMENT_TIMEOUT_MS is answered 503 by pg's client-side timeout, but the
 * server keeps running it and the connection stays busy. So: ask the server to cancel it (a cancel request
 * needs no session state and passes through PgBouncer), and mark the connection disposed so knex's pool
 * replaces it instead of queueing the next request behind it.
 * Installed as knex's pool `afterCreate` hook, once per new connection.
 */
export function cancelTimedOutQueries(connection: PgClient, done: (error: Error | null, connection: PgClient) => void): void {
  const query = connection.query.bind(connection) as (...args: unknown[]) => unknown;
  (connection as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      const callback = last as QueryCallback;
      // pg 8.20 keeps it in _activeQuery (activeQuery is a deprecated getter)
      const running = () => ('_activeQuery' in connection ? connection._activeQuery : connection.activeQuery);
      args[args.length - 1] = (error: Error | null, result?: unknown) => {
        if (error?.message === QUERY_TIMEOUT_MESSAGE) {
          connection.__knex__disposed = error;
          cancel(connection, running());
        }
        callback(error, result);
      };
    }
    return query(...args);
  };
  done(null, connection);
}

/** What pg's Client#cancel does, without its deprecated activeQuery getter: a CancelRequest on a new socket. */
function cancel(connection: PgClient, activeQuery: unknown): void {
  if (!activeQuery) return;
  const { processID, secretKey } = connection as unknown as { processID: number; secretKey: number };
  const params = connection.connectionParameters as { host: string; port: number };
  try {
    const ClientClass = connection.constructor as new (config: unknown) => { connection: CancelConnection };
    const socket = new ClientClass(connection.connectionParameters).connection;
    socket.on('error', () => undefined); // best effort: the connection is replaced either way
    socket.on('connect', () => socket.cancel(processID, secretKey));
    socket.connect(params.port, params.host);
  } catch {
    // best effort
  }
}

interface CancelConnection {
  on(event: string, listener: () => void): void;
  connect(port: number, host: string): void;
  cancel(processID: number, secretKey: number): void;
}
