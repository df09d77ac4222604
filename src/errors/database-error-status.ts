import {
  CheckConstraintViolationException,
  ConnectionException,
  DeadlockException,
  DriverException,
  ForeignKeyConstraintViolationException,
  LockWaitTimeoutException,
  NotNullConstraintViolationException,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { KnexTimeoutError } from 'knex';

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** SQLSTATE classes and codes that mean "the database cannot serve now", not "this request is wrong". */
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58']); // connection, resources (disk full, too many connections), operator intervention, system
const UNAVAILABLE_CODES = new Set(['40001', '40P01', '55P03', '55006']); // serialization, deadlock, lock not available, object in use
/** Values the database refused: too long, malformed, NUL bytes and encoding. */
const BAD_INPUT_CODES = new Set(['22001', '22P02', '22021', '22P05', '22007', '22008', '22003', '08P01']);

/**
 * The HTTP status for an error raised while talking to the database, or undefined when it is not one.
 * Decided by exception class and SQLSTATE, never by message text. A driver error without a SQLSTATE means
 * the connection itself failed (refused, reset, timed out), which is a 503.
 */
export function databaseErrorStatus(error: unknown): number | undefined {
  if (error instanceof KnexTimeoutError) return 503; // no pooled connection within the acquire timeout
  if (error instanceof UniqueConstraintViolationException) return 409;
  if (error instanceof ForeignKeyConstraintViolationException) return 409;
  if (error instanceof NotNullConstraintViolationException || error instanceof CheckConstraintViolationException) return 400;
  if (error instanceof ConnectionException || error instanceof DeadlockException || error instanceof LockWaitTimeoutException) {
    return 503;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof DriverException || isPgError(error)) {
    if (typeof code !== 'string' || !SQLSTATE.test(code)) return 503;
    if (BAD_INPUT_CODES.has(code)) return 400;
    if (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.has(code.slice(0, 2))) return 503;
    return undefined; // anything else from the server is a bug on our side: 500
  }
  return undefined;
}

/** Errors that escape MikroORM's conversion (pg's own, e.g. while beginning a transaction). */
function isPgError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { code?: unknown; severity?: unknown; errno?: unknown; syscall?: unknown };
  return typeof e.severity === 'string' || (typeof e.syscall === 'string' && typeof e.code === 'string');
}
