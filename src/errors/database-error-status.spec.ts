import {
  CheckConstraintViolationException,
  ConnectionException,
  DeadlockException,
  DriverException,
  ForeignKeyConstraintViolationException,
  LockWaitTimeoutException,
  NotNullConstraintViolationException,
  ReadOnlyException,
  SyntaxErrorException,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { DatabaseError } from 'pg';
import { databaseErrorStatus } from './database-error-status';

const sut = databaseErrorStatus;

/** An error as the pg driver raises it for a server response: a DatabaseError with a SQLSTATE and a severity. */
function pgError(code: string, message = `server error ${code}`, severity = 'ERROR'): DatabaseError {
  const error = new DatabaseError(message, 0, 'error');
  error.code = code;
  error.severity = severity;
  return error;
}

/** A socket-level failure as Node raises it (no SQLSTATE, a syscall). */
function socketError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -111, syscall: 'connect', address: '127.0.0.1', port: 5432 });
}

/** What MikroORM throws for that pg error: its own PostgreSQL converter, not a stand-in. */
function converted(error: Error): DriverException {
  return new PostgreSqlPlatform().getExceptionConverter().convertException(error as Error & { code?: string });
}

describe(databaseErrorStatus.name, () => {
  describe('MikroORM exception classes', () => {
    it.each([
      ['UniqueConstraintViolationException', 409, () => new UniqueConstraintViolationException(new Error('x'))],
      ['ForeignKeyConstraintViolationException', 409, () => new ForeignKeyConstraintViolationException(new Error('x'))],
      ['NotNullConstraintViolationException', 400, () => new NotNullConstraintViolationException(new Error('x'))],
      ['CheckConstraintViolationException', 400, () => new CheckConstraintViolationException(new Error('x'))],
      ['ConnectionException', 503, () => new ConnectionException(new Error('x'))],
      ['DeadlockException', 503, () => new DeadlockException(new Error('x'))],
      ['LockWaitTimeoutException', 503, () => new LockWaitTimeoutException(new Error('x'))],
      ['a plain DriverException without a code', 503, () => new DriverException(new Error('Connection terminated unexpectedly'))],
      ['ReadOnlyException', 503, () => new ReadOnlyException(new Error('x'))],
      // pg's pool found no connection in time (connectionTimeoutMillis), as MikroORM hands it over: converted, without a SQLSTATE
      ['the pool’s acquire timeout, converted', 503, () => converted(new Error('timeout exceeded when trying to connect'))],
      // as em.transactional() hands it over when its BEGIN finds no pooled connection in time
      ['the pool’s acquire timeout, unconverted', 503, () => new Error('timeout exceeded when trying to connect')],
      // pg's client-side query_timeout, and a connection the server or the network cut: plain Errors, no code
      ['pg’s client-side query timeout, converted', 503, () => converted(new Error('Query read timeout'))],
      ['a connection terminated mid-query, converted', 503, () => converted(new Error('Connection terminated unexpectedly'))],
    ] as const)('%s -> %s', (_name, status, make) => {
      expect(sut(make())).toBe(status);
    });

    it('maps a syntax error (our bug, not the client’s) to undefined, i.e. a 500', () => {
      expect(sut(new SyntaxErrorException(pgError('42601')))).toBeUndefined();
    });
  });

  describe('SQLSTATEs, raw from pg and converted by MikroORM', () => {
    it.each([
      ['53100', 'disk full', 503],
      ['53200', 'out of memory', 503],
      ['53300', 'too many connections', 503],
      ['53400', 'configuration limit exceeded', 503],
      ['57P01', 'admin shutdown', 503],
      ['57P02', 'crash shutdown', 503],
      ['57P03', 'cannot connect now (starting up, shutting down, recovering)', 503],
      ['57P04', 'database dropped', 503],
      ['57P05', 'idle session timeout', 503],
      ['57014', 'statement timeout (query canceled)', 503],
      ['08000', 'connection exception', 503],
      ['08003', 'connection does not exist', 503],
      ['08006', 'connection failure', 503],
      ['08001', 'unable to connect', 503],
      ['08004', 'server rejected the connection', 503],
      ['58000', 'system error', 503],
      ['58030', 'I/O error', 503],
      ['40001', 'serialization failure', 503],
      ['40P01', 'deadlock', 503],
      ['55P03', 'lock not available', 503],
      ['55006', 'object in use', 503],
      ['25006', 'read-only transaction (a read-only replica or endpoint)', 503],
      ['55000', 'object not in prerequisite state, as an ERROR (e.g. currval before nextval)', undefined],
      ['0A000', 'feature not supported (e.g. cached plan must not change result type)', undefined],
      ['42501', 'insufficient privilege (a deployment fault)', undefined],
      ['54000', 'program limit exceeded', undefined],
      ['25P02', 'in failed SQL transaction', undefined],
      ['XX000', 'internal error', undefined],
      ['XX001', 'data corrupted', undefined],
      ['22001', 'value too long', 400],
      ['22P02', 'invalid text representation', 400],
      ['22021', 'bad byte sequence for encoding', 400],
      ['08P01', 'protocol violation (PgBouncer: cannot connect to server)', 503],
      ['42601', 'syntax error', undefined],
      ['42P01', 'undefined table', undefined],
      ['42703', 'undefined column', undefined],
    ])('%s (%s) -> %s', (code, _meaning, status) => {
      expect(sut(converted(pgError(code)))).toBe(status);
      // the raw pg error maps the same way when it escapes MikroORM's conversion (e.g. while beginning a transaction)
      expect(sut(pgError(code))).toBe(status);
    });

    it.each([
      ['23505', 'unique violation', 409],
      ['23503', 'foreign key violation', 409],
      ['23502', 'not null violation', 400],
      ['23514', 'check violation', 400],
    ])('%s (%s), converted by MikroORM -> %s', (code, _meaning, status) => {
      expect(sut(converted(pgError(code)))).toBe(status);
    });

    it('maps a DriverException built around an error with a SQLSTATE by that code', () => {
      expect(sut(new DriverException(Object.assign(new Error('too many connections'), { code: '53300' })))).toBe(503);
      expect(sut(new DriverException(Object.assign(new Error('value too long'), { code: '22001' })))).toBe(400);
      expect(sut(new DriverException(Object.assign(new Error('syntax'), { code: '42601' })))).toBeUndefined();
    });
  });

  describe('errors that end the session (severity FATAL or PANIC)', () => {
    it.each([
      ['55000', 'database is not accepting connections (ALLOW_CONNECTIONS false)', 'FATAL'],
      ['57P03', 'the database system is starting up', 'FATAL'],
      ['53300', 'too many connections', 'FATAL'],
      ['57P01', 'terminating connection due to administrator command', 'FATAL'],
      ['28P01', 'password authentication failed', 'FATAL'],
      ['28000', 'no pg_hba.conf entry', 'FATAL'],
      ['3D000', 'database does not exist', 'FATAL'],
      ['XX000', 'an internal error that stops the server', 'PANIC'],
    ])('%s (%s, %s) -> 503, raw and converted', (code, meaning, severity) => {
      expect(sut(pgError(code, meaning, severity))).toBe(503);
      expect(sut(converted(pgError(code, meaning, severity)))).toBe(503);
    });

    it("answers a pooler's 08P01 (PgBouncer: cannot connect to server, server login failing) with 503", () => {
      expect(sut(pgError('08P01', 'pgbouncer cannot connect to server', 'ERROR'))).toBe(503);
      expect(sut(converted(pgError('08P01', 'server login has been failing, try again later', 'FATAL')))).toBe(503);
    });
  });

  describe('connection failures without a SQLSTATE', () => {
    it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN'])('%s -> 503, raw and converted', (code) => {
      expect(sut(socketError(code))).toBe(503);
      expect(sut(converted(socketError(code)))).toBe(503);
    });
  });

  describe('errors that do not come from the database', () => {
    it.each([
      ['a plain Error', new Error('boom')],
      ['a plain Error carrying a SQLSTATE-like code but no severity', Object.assign(new Error('x'), { code: '53300' })],
      ['a TypeError', new TypeError('cannot read properties of undefined')],
      ['a string', 'boom'],
      ['null', null],
      ['undefined', undefined],
      ['an object with a code', { code: '53300' }],
    ])('%s -> undefined', (_name, error) => {
      expect(sut(error)).toBeUndefined();
    });
  });
});
