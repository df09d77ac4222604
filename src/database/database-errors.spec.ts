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
import { classifyConnectError, databaseErrorKind } from './database-errors';

const sut = databaseErrorKind;

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

describe(databaseErrorKind.name, () => {
  describe('MikroORM exception classes', () => {
    it.each([
      ['UniqueConstraintViolationException', 'conflict', () => new UniqueConstraintViolationException(new Error('x'))],
      ['ForeignKeyConstraintViolationException', 'conflict', () => new ForeignKeyConstraintViolationException(new Error('x'))],
      ['NotNullConstraintViolationException', 'bad-input', () => new NotNullConstraintViolationException(new Error('x'))],
      ['CheckConstraintViolationException', 'bad-input', () => new CheckConstraintViolationException(new Error('x'))],
      ['ConnectionException', 'unavailable', () => new ConnectionException(new Error('x'))],
      ['DeadlockException', 'unavailable', () => new DeadlockException(new Error('x'))],
      ['LockWaitTimeoutException', 'unavailable', () => new LockWaitTimeoutException(new Error('x'))],
      ['a plain DriverException without a code', 'unavailable', () => new DriverException(new Error('Connection terminated unexpectedly'))],
      ['ReadOnlyException', 'unavailable', () => new ReadOnlyException(new Error('x'))],
      // pg's pool found no connection in time (connectionTimeoutMillis), as MikroORM hands it over: converted, without a SQLSTATE
      ['the pool’s acquire timeout, converted', 'unavailable', () => converted(new Error('timeout exceeded when trying to connect'))],
      // as em.transactional() hands it over when its BEGIN finds no pooled connection in time
      ['the pool’s acquire timeout, unconverted', 'unavailable', () => new Error('timeout exceeded when trying to connect')],
      // as a flush's COMMIT hands it over when the connection is cut under it
      ['a connection terminated at COMMIT, unconverted', 'unavailable', () => new Error('Connection terminated unexpectedly')],
      ['a client no longer queryable, unconverted', 'unavailable', () => new Error('Client has encountered a connection error and is not queryable')],
      // any other plain Error is ours, even when it mentions a connection
      ['a plain Error of our own', undefined, () => new Error('Connection terminated by the application for no reason')],
      // pg's client-side query_timeout, and a connection the server or the network cut: plain Errors, no code
      ['pg’s client-side query timeout, converted', 'unavailable', () => converted(new Error('Query read timeout'))],
      ['a connection terminated mid-query, converted', 'unavailable', () => converted(new Error('Connection terminated unexpectedly'))],
    ] as const)('%s -> %s', (_name, status, make) => {
      expect(sut(make())).toBe(status);
    });

    it('maps a syntax error (our bug, not the client’s) to undefined (a 500)', () => {
      expect(sut(new SyntaxErrorException(pgError('42601')))).toBeUndefined();
    });
  });

  describe('SQLSTATEs, raw from pg and converted by MikroORM', () => {
    it.each([
      ['53100', 'disk full', 'unavailable'],
      ['53200', 'out of memory', 'unavailable'],
      ['53300', 'too many connections', 'unavailable'],
      ['53400', 'configuration limit exceeded', 'unavailable'],
      ['57P01', 'admin shutdown', 'unavailable'],
      ['57P02', 'crash shutdown', 'unavailable'],
      ['57P03', 'cannot connect now (starting up, shutting down, recovering)', 'unavailable'],
      ['57P04', 'database dropped', 'unavailable'],
      ['57P05', 'idle session timeout', 'unavailable'],
      ['57014', 'statement timeout (query canceled)', 'unavailable'],
      ['08000', 'connection exception', 'unavailable'],
      ['08003', 'connection does not exist', 'unavailable'],
      ['08006', 'connection failure', 'unavailable'],
      ['08001', 'unable to connect', 'unavailable'],
      ['08004', 'server rejected the connection', 'unavailable'],
      ['58000', 'system error', 'unavailable'],
      ['58030', 'I/O error', 'unavailable'],
      ['40001', 'serialization failure', 'unavailable'],
      ['40P01', 'deadlock', 'unavailable'],
      ['55P03', 'lock not available', 'unavailable'],
      ['55006', 'object in use', 'unavailable'],
      ['25006', 'read-only transaction (a read-only replica or endpoint)', 'unavailable'],
      ['55000', 'object not in prerequisite state, as an ERROR (e.g. currval before nextval)', undefined],
      ['0A000', 'feature not supported (e.g. cached plan must not change result type)', undefined],
      ['42501', 'insufficient privilege (a deployment fault)', undefined],
      ['54000', 'program limit exceeded', undefined],
      ['25P02', 'in failed SQL transaction', undefined],
      ['XX000', 'internal error', undefined],
      ['XX001', 'data corrupted', undefined],
      ['22001', 'value too long', 'bad-input'],
      ['22P02', 'invalid text representation', 'bad-input'],
      ['22021', 'bad byte sequence for encoding', 'bad-input'],
      ['08P01', 'protocol violation (PgBouncer: cannot connect to server)', 'unavailable'],
      ['42601', 'syntax error', undefined],
      ['42P01', 'undefined table', undefined],
      ['42703', 'undefined column', undefined],
    ])('%s (%s) -> %s', (code, _meaning, status) => {
      expect(sut(converted(pgError(code)))).toBe(status);
      // the raw pg error maps the same way when it escapes MikroORM's conversion (e.g. while beginning a transaction)
      expect(sut(pgError(code))).toBe(status);
    });

    it.each([
      ['23505', 'unique violation', 'conflict'],
      ['23503', 'foreign key violation', 'conflict'],
      ['23502', 'not null violation', 'bad-input'],
      ['23514', 'check violation', 'bad-input'],
    ])('%s (%s), converted by MikroORM -> %s', (code, _meaning, status) => {
      expect(sut(converted(pgError(code)))).toBe(status);
    });

    it('maps a DriverException built around an error with a SQLSTATE by that code', () => {
      expect(sut(new DriverException(Object.assign(new Error('too many connections'), { code: '53300' })))).toBe('unavailable');
      expect(sut(new DriverException(Object.assign(new Error('value too long'), { code: '22001' })))).toBe('bad-input');
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
    ])('%s (%s, %s) -> unavailable, raw and converted', (code, meaning, severity) => {
      expect(sut(pgError(code, meaning, severity))).toBe('unavailable');
      expect(sut(converted(pgError(code, meaning, severity)))).toBe('unavailable');
    });

    it("answers a pooler's 08P01 (PgBouncer: cannot connect to server, server login failing) as unavailable", () => {
      expect(sut(pgError('08P01', 'pgbouncer cannot connect to server', 'ERROR'))).toBe('unavailable');
      expect(sut(converted(pgError('08P01', 'server login has been failing, try again later', 'FATAL')))).toBe('unavailable');
    });
  });

  describe('connection failures without a SQLSTATE', () => {
    it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN'])('%s -> unavailable, raw and converted', (code) => {
      expect(sut(socketError(code))).toBe('unavailable');
      expect(sut(converted(socketError(code)))).toBe('unavailable');
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

describe(classifyConnectError.name, () => {
  const sqlState = (code: string) => Object.assign(new Error(`server error ${code}`), { code });

  it.each(['57P03', '53300', '08006', '57P01', 'XX000'])('retries SQLSTATE %s (not ready yet)', (code) => {
    expect(classifyConnectError(sqlState(code))).toEqual({ kind: 'unavailable' });
  });

  it.each(['57014', '57P05', '58030', '40001', '25006'])('retries SQLSTATE %s, as requests answer it: unavailable', (code) => {
    expect(classifyConnectError(sqlState(code))).toEqual({ kind: 'unavailable' });
    expect(databaseErrorKind(pgError(code))).toBe('unavailable');
  });

  it.each(['28P01', '28000', '3D000', '42501', '42704', '0A000'])('does not retry SQLSTATE %s', (code) => {
    expect(classifyConnectError(sqlState(code)).kind).toBe('refused');
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'EAI_AGAIN', 'EPIPE'])('retries %s (not reachable yet)', (code) => {
    expect(classifyConnectError(Object.assign(new Error(code), { code }))).toEqual({ kind: 'unavailable' });
  });

  it.each([
    ['Connection terminated due to connection timeout'],
    ['Connection terminated unexpectedly'],
    ['Knex: Timeout acquiring a connection. The pool is probably full.'],
  ])('retries "%s"', (message) => {
    const error = new Error(message);
    if (message.startsWith('Knex')) error.name = 'KnexTimeoutError';
    expect(classifyConnectError(error)).toEqual({ kind: 'unavailable' });
  });

  it.each([
    ['SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string', /gives none/],
    ['SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a non-empty string', /gives none/],
    ['SASL: SCRAM-SERVER-FINAL-MESSAGE: server signature does not match', /login failed/],
    ['The server does not support SSL connections', /does not support TLS/],
  ])('does not retry "%s"', (message, problem) => {
    const failure = classifyConnectError(new Error(message));
    expect(failure).toEqual({ kind: 'refused', problem: expect.stringMatching(problem) });
  });

  it('does not retry a certificate that does not verify', () => {
    const error = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(classifyConnectError(error).kind).toBe('refused');
  });
});
