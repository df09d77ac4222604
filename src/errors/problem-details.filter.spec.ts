import { ConnectionException, DriverException, ForeignKeyConstraintViolationException, NotNullConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { ArgumentsHost, BadRequestException, HttpException, Logger, NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { answeredError } from './answered-error';
import { problem, ProblemException, validationProblem } from './problem';
import { ProblemDetailsFilter } from './problem-details.filter';

/** What the filter wrote: a stand-in for Fastify's reply, recording status, headers and body. */
class RecordedResponse {
  statusCode = 200;
  sentHeaders: Record<string, string> = {};
  body: string | undefined;
  ended = false;
  readonly raw: { headersSent: boolean; end(): void };
  constructor(headersSent = false) {
    this.raw = { headersSent, end: () => (this.ended = true) };
  }
  status(code: number) {
    this.statusCode = code;
    return this;
  }
  headers(headers: Record<string, string>) {
    Object.assign(this.sentHeaders, headers);
    return this;
  }
  send(body: string) {
    this.body = body;
    return this;
  }
}

function hostFor(response: RecordedResponse, request: object = { method: 'POST', url: '/tasks?limit=5' }): ArgumentsHost {
  return { switchToHttp: () => ({ getResponse: () => response, getRequest: () => request }) } as unknown as ArgumentsHost;
}

describe(ProblemDetailsFilter.name, () => {
  let sut: ProblemDetailsFilter;
  let logged: jest.SpyInstance;

  beforeEach(() => {
    sut = new ProblemDetailsFilter();
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  async function answer(error: unknown): Promise<{ status: number; headers: Record<string, string>; body: Record<string, unknown>; text: string }> {
    const response = new RecordedResponse();
    await sut.catch(error, hostFor(response));
    return { status: response.statusCode, headers: response.sentHeaders, body: JSON.parse(response.body!), text: response.body! };
  }

  it('answers an unknown error with a generic 500 and puts the detail only in the log', async () => {
    const error = new TypeError('Cannot read properties of undefined (reading "secret") at select * from users');
    const res = await answer(error);
    expect(res.status).toBe(500);
    expect(res.headers['Content-Type']).toBe('application/problem+json');
    expect(res.body).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'An unexpected error occurred' });
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('POST /tasks'), error.stack);
  });

  it('answers a thrown non-Error value with a generic 500', async () => {
    expect((await answer('a string')).body).toEqual(expect.objectContaining({ status: 500, detail: 'An unexpected error occurred' }));
  });

  it('writes a ProblemException as it is, with its headers', async () => {
    const res = await answer(new ProblemException(problem(429, 'Too many failed logins; retry later'), { 'Retry-After': '60' }));
    expect(res.status).toBe(429);
    expect(res.headers['Retry-After']).toBe('60');
    expect(res.body).toEqual({ type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'Too many failed logins; retry later' });
  });

  it('keeps the errors list of a validation problem', async () => {
    const res = await answer(validationProblem([{ field: 'title', message: 'must be a string' }]));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'title', message: 'must be a string' }]);
  });

  it('adds WWW-Authenticate: Bearer to every 401, whichever exception carries it', async () => {
    expect((await answer(new ProblemException(problem(401, 'A valid bearer token is required')))).headers['WWW-Authenticate']).toBe('Bearer');
    expect((await answer(new UnauthorizedException())).headers['WWW-Authenticate']).toBe('Bearer');
    expect((await answer(new BadRequestException('bad'))).headers['WWW-Authenticate']).toBeUndefined();
  });

  it('keeps a 4xx HttpException’s message but never a 5xx one’s', async () => {
    expect((await answer(new BadRequestException('name must be a string'))).body.detail).toBe('name must be a string');
    const res = await answer(new HttpException('connection string postgres://app:secret@db', 502));
    expect(res.status).toBe(502);
    expect(res.text).not.toContain('secret');
  });

  describe('a 404 for a path no route matches', () => {
    async function notFound(url: string, routeOptions: { url?: string } = {}): Promise<Record<string, unknown>> {
      const response = new RecordedResponse();
      await sut.catch(new NotFoundException(`Cannot GET ${url}`), hostFor(response, { method: 'GET', url, routeOptions }));
      return JSON.parse(response.body!);
    }

    it('quotes a short path whole, without its query', async () => {
      expect(await notFound('/nope?access_token=secret')).toEqual({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'Cannot GET /nope' });
    });

    it('quotes only the first 64 characters (code points) of a long path, then "…"', async () => {
      expect((await notFound(`/${'a'.repeat(15_000)}`)).detail).toBe(`Cannot GET /${'a'.repeat(63)}…`);
      expect((await notFound(`/${'😀'.repeat(100)}`)).detail).toBe(`Cannot GET /${'😀'.repeat(63)}…`);
      expect((await notFound(`/${'b'.repeat(63)}`)).detail).toBe(`Cannot GET /${'b'.repeat(63)}`);
    });

    it('keeps the message of a 404 thrown on a matched route', async () => {
      expect((await notFound('/tasks/1', { url: '/tasks/:id' })).detail).toBe('Cannot GET /tasks/1');
      const response = new RecordedResponse();
      await sut.catch(new NotFoundException('No such thing'), hostFor(response, { method: 'GET', url: '/tasks/1', routeOptions: { url: '/tasks/:id' } }));
      expect(JSON.parse(response.body!).detail).toBe('No such thing');
    });
  });

  it('answers a unique violation 409 without the driver message or SQL', async () => {
    const driver = new UniqueConstraintViolationException(new Error('insert into "users" ... duplicate key value violates unique constraint "users_email_unique"'));
    const res = await answer(driver);
    expect(res.status).toBe(409);
    expect(res.text).not.toMatch(/insert|duplicate|users_email_unique/);
  });

  it.each([
    ['a not-null violation', 400, () => new NotNullConstraintViolationException(new Error('null value in column "title" of relation "tasks"'))],
    ['a foreign key violation', 409, () => new ForeignKeyConstraintViolationException(new Error('insert on "tasks" violates foreign key constraint "tasks_user_id_foreign"'))],
  ])('answers %s %s without the driver message', async (_name, status, make) => {
    const res = await answer(make());
    expect(res.status).toBe(status);
    expect(res.headers['Retry-After']).toBeUndefined();
    expect(res.text).not.toMatch(/column|relation|violates|tasks_user_id/);
  });

  it('leaves the error it answered on the request, for the metrics', async () => {
    const request = { method: 'GET', url: '/tasks' };
    const error = new ConnectionException(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    await sut.catch(error, hostFor(new RecordedResponse(), request));
    expect(answeredError(request as FastifyRequest)).toBe(error);
    expect(answeredError({ method: 'GET', url: '/tasks' } as FastifyRequest)).toBeUndefined();
  });

  it('answers an unavailable database 503 with Retry-After', async () => {
    const res = await answer(new ConnectionException(new Error('connect ECONNREFUSED 127.0.0.1:5432')));
    expect(res.status).toBe(503);
    expect(res.headers['Retry-After']).toBe('2');
    expect(res.text).not.toMatch(/ECONNREFUSED|5432/);
  });

  it.each([
    ['a database that refuses connections (FATAL 55000)', () => Object.assign(new DriverException(new Error('database "app" is not currently accepting connections')), { code: '55000', severity: 'FATAL' })],
    ['the pool’s acquire timeout (no SQLSTATE)', () => new DriverException(new Error('timeout exceeded when trying to connect'))],
    ['a read-only endpoint (25006)', () => Object.assign(new DriverException(new Error('cannot execute INSERT in a read-only transaction')), { code: '25006', severity: 'ERROR' })],
  ])('answers %s 503 with Retry-After, logged as a warning and not as an error', async (_name, make) => {
    const res = await answer(make());
    expect(res.status).toBe(503);
    expect(res.headers['Retry-After']).toBe('2');
    expect(res.text).not.toMatch(/accepting|timeout|read-only/);
    expect(logged).not.toHaveBeenCalled();
  });

  it('only ends the response when headers were already sent', async () => {
    const response = new RecordedResponse(true);
    await sut.catch(new Error('late'), hostFor(response));
    expect(response.ended).toBe(true);
    expect(response.body).toBeUndefined();
  });
});
