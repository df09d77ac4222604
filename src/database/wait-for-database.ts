import type { MikroORM } from '@mikro-orm/core';

export class DatabaseUnavailableError extends Error {}

/**
 * What a failed connection attempt means:
 * - `retry`: the database is not reachable or not ready yet (it may be starting, waking up, or full): waiting can cure it;
 * - a reason: the database answered and refused (login, database name, TLS): waiting cannot cure it.
 */
export type ConnectFailure = { retry: true } | { retry: false; problem: string };

const RETRY: ConnectFailure = { retry: true };
const refuse = (problem: string): ConnectFailure => ({ retry: false, problem });

/** SQLSTATEs of a server that answered but will not let us in. */
const REFUSED_SQLSTATES: Record<string, string> = {
  '28P01': 'the server refused the login (wrong password)', // invalid_password
  '28000': 'the server refused the login (pg_hba.conf or the role does not allow it)', // invalid_authorization_specification
  '3D000': 'the database does not exist', // invalid_catalog_name
  '42501': 'the role may not connect to this database', // insufficient_privilege (no CONNECT)
};

/** SQLSTATEs of a server that is there but cannot take us yet. */
function isNotReadySqlState(code: string): boolean {
  return (
    code.startsWith('08') || // connection_exception (a pooler that cannot reach its server yet)
    code.startsWith('53') || // insufficient_resources: 53300 too_many_connections, ...
    code === '57P01' || // admin_shutdown: a restart in progress
    code === '57P02' || // crash_shutdown
    code === '57P03' || // cannot_connect_now: starting up, recovering
    code === 'XX000' // internal_error: a proxy in front of the database may answer it while the server behind wakes
  );
}

/** Node's socket and DNS errors: nothing listening yet, or no route to it yet. */
const NOT_REACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND', // a name that does not resolve yet (a container's DNS entry appears when it starts)
]);

/** TLS verification failures (node's error codes): a certificate that does not verify will not verify later. */
const TLS_CERTIFICATE_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|^ERR_TLS|^ERR_SSL/;

/**
 * pg's own client-side errors carry no code: their message is the only signal. Every such match lives here.
 * (pg 8: lib/crypto/sasl.js, lib/connection.js, lib/client.js.)
 */
function classifyPgClientMessage(message: string): ConnectFailure | undefined {
  // the server asked for a password (SCRAM) that the URL does not give
  if (/^SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a (non-empty )?string/.test(message)) {
    return refuse('the server asks for a password and the database URL gives none');
  }
  // another SCRAM failure: mechanism not offered, channel binding impossible, server signature mismatch
  if (message.startsWith('SASL: ')) return refuse(`the login failed (${message})`);
  if (message === 'The server does not support SSL connections') {
    return refuse('the server does not support TLS (SSL) connections: use sslmode=disable, or a server with TLS');
  }
  if (message === 'There was an error establishing an SSL connection') return refuse('the server refused the TLS (SSL) connection');
  // the socket closed or timed out before the server answered: a waking or restarting server does this
  if (/^Connection terminated|timeout/i.test(message)) return RETRY;
  return undefined;
}

/** pg's pool found no free connection within connectionTimeoutMillis (pg-pool's own Error, without a code). */
export function isPoolTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'timeout exceeded when trying to connect';
}

/** Classifies one failed connection attempt (see ConnectFailure). Unknown failures are not retried. */
export function classifyConnectError(error: unknown): ConnectFailure {
  const e = (error ?? {}) as { code?: unknown; name?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(error);
  if (NOT_REACHABLE_CODES.has(code)) return RETRY;
  if (/^(?=.*\d)[0-9A-Z]{5}$/.test(code)) {
    // a SQLSTATE (five characters, a digit among them; node's EPIPE, EPERM... have none): the server itself answered
    if (REFUSED_SQLSTATES[code]) return refuse(REFUSED_SQLSTATES[code]);
    if (isNotReadySqlState(code)) return RETRY;
    return refuse(`the server refused the connection (SQLSTATE ${code})`);
  }
  if (TLS_CERTIFICATE_CODE.test(code)) return refuse(`the server's TLS certificate does not verify (${code})`);
  return classifyPgClientMessage(message) ?? refuse('the connection failed');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Retries `select 1` with exponential backoff (250 ms doubling, capped at 5 s) until the deadline while the
 * database is not reachable or not ready yet (a suspended Neon compute takes seconds to wake); fails at once
 * when it answered and refused (login, database name, TLS). Throws one clear error when it gives up.
 */
export async function waitForDatabase(
  orm: MikroORM,
  deadlineMs: number,
  log: (message: string) => void,
): Promise<void> {
  const start = Date.now();
  // MikroORM connects lazily: this makes the pool (no connection yet), so that checkConnection() can try one
  await orm.connect();
  for (let attempt = 0, delay = 250; ; attempt++, delay = Math.min(delay * 2, 5000)) {
    const check = await orm.checkConnection();
    if (check.ok) return;
    const reason = check.reason ?? 'unknown error';
    const failure = classifyConnectError(check.error);
    if (!failure.retry) {
      throw new DatabaseUnavailableError(`Cannot connect to the database: ${failure.problem} (${reason})`);
    }
    const remaining = deadlineMs - (Date.now() - start);
    if (remaining <= 0) {
      throw new DatabaseUnavailableError(
        `The database did not answer within ${Math.round(deadlineMs / 1000)} s (DATABASE_STARTUP_TIMEOUT_MS): ${reason}`,
      );
    }
    if (attempt === 0) log(`Waiting for the database (${reason}); retrying for up to ${Math.round(deadlineMs / 1000)} s`);
    // the last attempt is made at the deadline, not one backoff step before it
    await sleep(Math.min(delay, remaining));
  }
}
