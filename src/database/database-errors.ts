import {
  CheckConstraintViolationException,
  ConnectionException,
  DeadlockException,
  DriverException,
  ForeignKeyConstraintViolationException,
  LockWaitTimeoutException,
  NotNullConstraintViolationException,
  ReadOnlyException,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { DatabaseError } from 'pg';

/**
 * What an error met while serving a request means (undefined: not the database's, or a fault of ours, a 500):
 * - `unavailable`: the database cannot serve now, and a retry later can succeed;
 * - `bad-input`: the database refused a value the client sent;
 * - `conflict`: the data already holds a unique value, or lacks the row a foreign key names.
 */
export type DatabaseErrorKind = 'unavailable' | 'bad-input' | 'conflict';

/**
 * What a failed connection attempt at start-up means: `unavailable` (not reachable or not ready yet: waiting can
 * cure it) or `refused` (the server answered and will not let us in: login, database name, TLS, privilege).
 */
export type ConnectFailure = { kind: 'unavailable' } | { kind: 'refused'; problem: string };

const UNAVAILABLE: ConnectFailure = { kind: 'unavailable' };
const refuse = (problem: string): ConnectFailure => ({ kind: 'refused', problem });

/** Five characters with a digit among them: node's EPIPE, EPERM... have none. */
const SQLSTATE = /^(?=.*\d)[0-9A-Z]{5}$/;

/**
 * The database cannot serve now: 08 connection exception (also PgBouncer's own 08P01 "cannot connect to server"),
 * 53 insufficient resources, 57 operator intervention (statement timeout, shutdown, starting up), 58 system error.
 */
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58']);
/** Serialization failure, deadlock, lock not available, object in use, read-only transaction (a replica or read-only endpoint). */
const UNAVAILABLE_CODES = new Set(['40001', '40P01', '55P03', '55006', '25006']);
/** Values the database refused: too long, malformed, bad encoding, out of range. */
const BAD_INPUT_CODES = new Set(['22001', '22P02', '22021', '22P05', '22007', '22008', '22003']);
/**
 * Severities with which the server ends the session (shutting down, not accepting connections, login refused on a
 * reconnect); the same SQLSTATE as an ERROR (e.g. 55000, currval before nextval) is a bug of ours.
 */
const SESSION_ENDING = new Set(['FATAL', 'PANIC']);

/** At connect: a server that answered and will not let us in, which no wait cures. */
const REFUSED_AT_CONNECT: Record<string, string> = {
  '28P01': 'the server refused the login (wrong password)',
  '28000': 'the server refused the login (pg_hba.conf or the role does not allow it)',
  '3D000': 'the database does not exist',
  '42501': 'the role may not connect to this database',
};
/** At connect: internal_error, which a proxy in front of the database may answer while the server behind it wakes. */
const WAKING_PROXY = 'XX000';

/** Node's socket and DNS errors: nothing listening yet, or no route to it yet (a container's name appears when it starts). */
const NOT_REACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND',
]);

/** TLS verification failures (node's codes): a certificate that does not verify will not verify later. */
const TLS_CERTIFICATE_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|^ERR_TLS|^ERR_SSL/;

function isUnavailableSqlState(code: string): boolean {
  return UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.has(code.slice(0, 2));
}

/**
 * pg's own client-side failures of the connection, which carry no code and reach us unconverted when they end a
 * transaction's BEGIN or COMMIT: pg-pool found no free connection within connectionTimeoutMillis, or the socket
 * closed under a query (pg 8: lib/client.js, pg-pool/index.js).
 */
const PG_CONNECTION_LOST = /^(timeout exceeded when trying to connect|Connection terminated( unexpectedly| due to connection timeout)?|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)$/;

function isConnectionLost(error: unknown): boolean {
  return error instanceof Error && !(error instanceof DatabaseError) && PG_CONNECTION_LOST.test(error.message);
}

/** A socket error (ECONNREFUSED, EPIPE, ...): its code may look like a SQLSTATE, the syscall that failed tells it apart. */
function isSocketError(error: unknown): boolean {
  const e = error as { code?: unknown; syscall?: unknown };
  return error instanceof Error && typeof e.syscall === 'string' && typeof e.code === 'string';
}

/**
 * Decided by exception class, SQLSTATE and severity, never by message text (but pg's own connection failures,
 * which have nothing else). Errors that escape MikroORM's conversion (e.g. while beginning a transaction) are pg's own: a
 * server response (DatabaseError) or a socket error. A driver error without a SQLSTATE means the connection
 * itself failed (refused, reset, terminated, pg's "Query read timeout"). Anything else the server refuses
 * (0A000, 42xxx including 42501, 54xxx, 25P02, XX) is a bug or a deployment fault no retry mends.
 */
export function databaseErrorKind(error: unknown): DatabaseErrorKind | undefined {
  if (error instanceof UniqueConstraintViolationException || error instanceof ForeignKeyConstraintViolationException) return 'conflict';
  if (error instanceof NotNullConstraintViolationException || error instanceof CheckConstraintViolationException) return 'bad-input';
  if (
    error instanceof ConnectionException ||
    error instanceof DeadlockException ||
    error instanceof LockWaitTimeoutException ||
    error instanceof ReadOnlyException ||
    isConnectionLost(error)
  ) {
    return 'unavailable';
  }
  if (!(error instanceof DriverException || error instanceof DatabaseError || isSocketError(error))) return undefined;
  const { code, severity, syscall } = error as { code?: unknown; severity?: unknown; syscall?: unknown };
  if (typeof syscall === 'string' || typeof code !== 'string' || !SQLSTATE.test(code)) return 'unavailable';
  if (BAD_INPUT_CODES.has(code)) return 'bad-input';
  if (typeof severity === 'string' && SESSION_ENDING.has(severity)) return 'unavailable';
  return isUnavailableSqlState(code) ? 'unavailable' : undefined;
}

/**
 * pg's client-side errors carry no code: their message is the only signal (pg 8: lib/crypto/sasl.js,
 * lib/connection.js, lib/client.js).
 */
function pgClientFailure(message: string): ConnectFailure | undefined {
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
  if (/^Connection terminated|timeout/i.test(message)) return UNAVAILABLE;
  return undefined;
}

/**
 * Classifies one failed connection attempt at start-up (see ConnectFailure): every error there is the
 * database's, so its code and, without one, pg's message decide. Unknown failures are refusals: not retried.
 */
export function classifyConnectError(error: unknown): ConnectFailure {
  const e = (error ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(error);
  if (NOT_REACHABLE_CODES.has(code) || isConnectionLost(error)) return UNAVAILABLE;
  if (SQLSTATE.test(code)) {
    if (REFUSED_AT_CONNECT[code]) return refuse(REFUSED_AT_CONNECT[code]);
    if (code === WAKING_PROXY || isUnavailableSqlState(code)) return UNAVAILABLE;
    return refuse(`the server refused the connection (SQLSTATE ${code})`);
  }
  if (TLS_CERTIFICATE_CODE.test(code)) return refuse(`the server's TLS certificate does not verify (${code})`);
  return pgClientFailure(message) ?? refuse('the connection failed');
}
