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
import { isPoolTimeout } from '../database/wait-for-database';

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * SQLSTATE classes and codes that mean "the database cannot serve now", not "this request is wrong": 503 with
 * Retry-After.
 * - 08 connection exception, 53 insufficient resources (disk full, out of memory, too many connections),
 *   57 operator intervention (57014 statement timeout or cancel, 57P01 admin shutdown, 57P02 crash shutdown,
 *   57P03 cannot connect now, 57P04 database dropped, 57P05 idle session timeout), 58 system error (I/O).
 */
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58']);
/**
 * 40001 serialization failure and 40P01 deadlock (a retry succeeds), 55P03 lock not available, 55006 object in
 * use, 25006 read-only transaction (a read-only replica, or a Neon endpoint that is read-only right now).
 */
const UNAVAILABLE_CODES = new Set(['40001', '40P01', '55P03', '55006', '25006']);
/**
 * Values the database refused: too long, malformed, encoding. Not 08P01 (protocol violation): PgBouncer, as in
 * Neon's pooler, answers its own "cannot connect to server" and "server login has been failing" with it, so it
 * is a 503 like the rest of class 08 (the NUL bytes that could cause one are refused with 400 before any query).
 */
const BAD_INPUT_CODES = new Set(['22001', '22P02', '22021', '22P05', '22007', '22008', '22003']);
/**
 * Severities (the server's S field) with which the server ends the session: at connect, 55000 "database is not
 * currently accepting connections" (ALLOW_CONNECTIONS false), 57P03, 53300, 28P01, 3D000; later, 57P01/57P02.
 * 55000 with severity ERROR (e.g. currval before nextval) is a bug of ours: a 500. The severity is in English
 * unless the server's lc_messages says otherwise (the embedded server runs with LC_ALL=C; Neon answers in English).
 */
const SESSION_ENDING = new Set(['FATAL', 'PANIC']);

/**
 * The HTTP status for an error raised while talking to the database, or undefined when it is not one.
 * Decided by exception class, SQLSTATE and severity, never by message text:
 * - a driver error without a SQLSTATE means the connection itself failed (refused, reset, timed out, terminated,
 *   pg's client-side "Query read timeout"): a 503;
 * - a server error that ends the session (FATAL/PANIC: shutting down, not accepting connections, too many
 *   connections, authentication or database missing at connect) is a 503, unless the input caused it;
 * - anything else the server refuses is a bug on our side: undefined, i.e. a 500. That includes 0A000
 *   feature_not_supported, 42xxx (syntax, undefined objects, 42501 insufficient privilege: a deployment fault
 *   no retry mends), 54xxx program limits, 25P02 failed transaction and XX internal errors.
 */
export function databaseErrorStatus(error: unknown): number | undefined {
  if (error instanceof UniqueConstraintViolationException) return 409;
  if (error instanceof ForeignKeyConstraintViolationException) return 409;
  if (error instanceof NotNullConstraintViolationException || error instanceof CheckConstraintViolationException) return 400;
  if (
    error instanceof ConnectionException ||
    error instanceof DeadlockException ||
    error instanceof LockWaitTimeoutException ||
    error instanceof ReadOnlyException
  ) {
    return 503;
  }
  // pg's pool timeout, as em.transactional()'s BEGIN hands it over (unconverted)
  if (isPoolTimeout(error)) return 503;
  if (!(error instanceof DriverException) && !isPgError(error)) return undefined;
  const { code, severity, syscall } = error as { code?: unknown; severity?: unknown; syscall?: unknown };
  // a socket error (ECONNREFUSED, EPIPE, ...): its code may look like a SQLSTATE, its syscall tells it apart
  if (typeof syscall === 'string') return 503;
  if (typeof code !== 'string' || !SQLSTATE.test(code)) return 503;
  if (BAD_INPUT_CODES.has(code)) return 400;
  if (typeof severity === 'string' && SESSION_ENDING.has(severity)) return 503;
  if (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.has(code.slice(0, 2))) return 503;
  return undefined;
}

/**
 * Errors that escape MikroORM's conversion (pg's own, e.g. while beginning a transaction): a server response
 * (pg's DatabaseError, which always has a severity; two copies of pg are installed, so not by instanceof) or a
 * socket error (a system error code and the syscall that failed).
 */
function isPgError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { code?: unknown; severity?: unknown; syscall?: unknown };
  return typeof e.severity === 'string' || (typeof e.syscall === 'string' && typeof e.code === 'string');
}
