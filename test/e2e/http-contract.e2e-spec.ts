import { gzipSync } from 'node:zlib';
import request, { Response } from 'supertest';
import { exchange, listen, rawRequest, request as send } from '../support/http-client';
import { expectInvalid, expectNothingMatches, expectProblem } from '../support/problem-assertions';
import { createTask, taskCount } from '../support/tasks';
import { registerUser, RegisteredUser, uniqueEmail, useTestApp } from '../support/test-app';
import { storedEmails, userCount } from '../support/users';

// every registration runs argon2id: slow on a busy 2-core machine
jest.setTimeout(120_000);

const LIMIT = 100 * 1024;

/** A JSON register body of exactly `size` bytes (its name padded). */
function registerBodyOfSize(email: string, size: number): string {
  const empty = JSON.stringify({ email, password: 'correct horse battery', name: '' });
  return JSON.stringify({ email, password: 'correct horse battery', name: 'n'.repeat(size - Buffer.byteLength(empty)) });
}

describe('HTTP contract (General)', () => {
  const t = useTestApp();
  let baseUrl: string;
  let user: RegisteredUser;

  beforeAll(async () => {
    baseUrl = await listen(t.http);
    user = await registerUser(t.http);
  });

  /** POST with a body written in chunks (Transfer-Encoding: chunked, no Content-Length). */
  const chunkedPost = (path: string, chunks: Buffer[], headers: Record<string, string> = {}) =>
    send(baseUrl, 'POST', path, { bytes: chunks, headers: { 'Content-Type': 'application/json', ...headers } });
  /** A request with exactly these headers (supertest adds a Content-Type to a string body; this does not). */
  const sendExactly = (method: string, path: string, headers: Record<string, string>, body: string) => send(baseUrl, method, path, { headers, bytes: body });

  async function storedMe(): Promise<Record<string, unknown>> {
    const { rows } = await t.db.query('select * from users where id = $1', [user.id]);
    return rows[0];
  }

  const stillServes = () => request(t.http).get('/health/live').expect(200);

  describe('body size', () => {
    it('answers 413 problem+json to a body one byte over 100 KiB, and writes nothing', async () => {
      const email = uniqueEmail('big');
      const body = registerBodyOfSize(email, LIMIT + 1);
      expect(Buffer.byteLength(body)).toBe(LIMIT + 1);
      expectProblem(await request(t.http).post('/auth/register').set('Content-Type', 'application/json').send(body), 413);
      expect(await userCount(t.db, email)).toBe(0);
    });

    it('reads a body of exactly 100 KiB (then refuses its over-long name with 400, not 413)', async () => {
      const email = uniqueEmail('limit');
      const body = registerBodyOfSize(email, LIMIT);
      expect(Buffer.byteLength(body)).toBe(LIMIT);
      expectInvalid(await request(t.http).post('/auth/register').set('Content-Type', 'application/json').send(body), 'name');
    });

    it('answers 413 to a chunked body (no Content-Length) that grows past 100 KiB', async () => {
      const chunk = Buffer.from(' '.repeat(16 * 1024));
      const res = await chunkedPost('/auth/register', [Buffer.from('{"email":"x@example.com","name":"'), ...Array(10).fill(chunk), Buffer.from('"}')]);
      expectProblem(res, 413);
      await stillServes();
    });

    // raw http.request: supertest re-encodes a Buffer body
    it('answers 413 to a gzip body that inflates past 100 KiB (a compression bomb)', async () => {
      const inflated = JSON.stringify({ email: uniqueEmail(), password: 'correct horse battery', name: ' '.repeat(1024 * 1024) });
      const zipped = gzipSync(inflated);
      expect(zipped.length).toBeLessThan(LIMIT);
      expectProblem(await chunkedPost('/auth/register', [zipped], { 'Content-Encoding': 'gzip' }), 413);
      await stillServes();
    });

    it('answers 400 (not 500) to a body that claims gzip but is not', async () => {
      expectProblem(await chunkedPost('/auth/register', [Buffer.from('{"email":"x@example.com"}')], { 'Content-Encoding': 'gzip' }), 400);
    });

    it('reads a small gzip body', async () => {
      const res = await chunkedPost('/auth/login', [gzipSync(JSON.stringify({ email: uniqueEmail(), password: 'wrong password' }))], { 'Content-Encoding': 'gzip' });
      expectProblem(res, 401);
    });

    it('answers 415 to an unsupported Content-Encoding', async () => {
      expectProblem(await chunkedPost('/auth/register', [Buffer.from('{}')], { 'Content-Encoding': 'compress' }), 415);
    });
  });

  describe('JSON', () => {
    it.each(['{"email":', "{'email':'a@b.io'}", '{"email":"a@b.io",}', '{"email" "a@b.io"}', 'nul', '{"a":1}}', '\u00ff\u00fe'])(
      'answers 400 problem+json to malformed JSON %j',
      async (body) => {
        expectProblem(await request(t.http).post('/auth/register').set('Content-Type', 'application/json').send(body), 400);
        expectProblem(await request(t.http).patch('/users/me').set(user.auth).set('Content-Type', 'application/json').send(body), 400);
      },
    );

    it.each(['"a string"', '42', 'true', 'null', '[]', '[{"email":"a@b.io","password":"correct horse battery"}]'])(
      'answers 400 to a JSON body that is not an object: %s',
      async (body) => {
        const before = await taskCount(t.db);
        expectProblem(await request(t.http).post('/auth/register').set('Content-Type', 'application/json').send(body), 400);
        expectProblem(await request(t.http).post('/auth/login').set('Content-Type', 'application/json').send(body), 400);
        expectProblem(await request(t.http).patch('/users/me').set(user.auth).set('Content-Type', 'application/json').send(body), 400);
        expectProblem(await request(t.http).post('/tasks').set(user.auth).set('Content-Type', 'application/json').send(body), 400);
        expect(await taskCount(t.db)).toBe(before);
      },
    );

    it.each([
      ['arrays', '['.repeat(10_000) + ']'.repeat(10_000)],
      ['objects', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)],
      ['arrays, 50 000 levels (just under the size limit)', '['.repeat(50_000) + ']'.repeat(50_000)],
    ])('answers 400 to JSON nested 10 000+ levels deep (%s), and keeps serving', async (_label, body) => {
      expectProblem(await request(t.http).post('/auth/register').set('Content-Type', 'application/json').send(body), 400);
      expectProblem(await request(t.http).patch('/users/me').set(user.auth).set('Content-Type', 'application/json').send(body), 400);
      await stillServes();
      await request(t.http).get('/users/me').set(user.auth).expect(200);
    });

    it('does not count brackets and escaped quotes inside strings as nesting', async () => {
      const name = `\\"${'[{'.repeat(40)}`;
      const res = await request(t.http).patch('/users/me').set(user.auth).send({ name }).expect(200);
      expect(res.body.name).toBe(name);
    });

    it('answers 415 to JSON in a charset other than UTF-8', async () => {
      const res = await request(t.http).post('/auth/register').set('Content-Type', 'application/json; charset=latin1').send('{"email":"a@b.io"}');
      expectProblem(res, 415);
    });

    it('answers 415 naming Content-Type to a body that is not JSON at all, and writes nothing', async () => {
      const email = uniqueEmail('form');
      for (const [type, body] of [
        ['text/plain', `{"email":"${email}","password":"correct horse battery"}`],
        ['application/x-www-form-urlencoded', `email=${encodeURIComponent(email)}&password=correct+horse+battery`],
      ]) {
        const res = await request(t.http).post('/auth/register').set('Content-Type', type).send(body);
        expectProblem(res, 415);
        expect(res.body.detail).toContain('Content-Type');
      }
      expect(await userCount(t.db, email)).toBe(0);
    });
  });

  describe('a body that is not JSON, or has no Content-Type, is 415 naming the header', () => {
    const task = '{"title":"typed wrong"}';

    it.each([
      ['application/x-www-form-urlencoded', 'title=typed+wrong'],
      ['text/plain', task],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--x--\r\n'],
      [undefined, task],
    ])('POST /tasks with Content-Type %p', async (type, body) => {
      const before = await taskCount(t.db);
      const res = await sendExactly('POST', '/tasks', { ...user.auth, ...(type ? { 'Content-Type': type } : {}) }, body);
      expect(res.status).toBe(415);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = res.body as { status: number; detail: string };
      expect(problem).toMatchObject({ status: 415, detail: expect.stringContaining('Content-Type') });
      expect(problem.detail).toContain('application/json');
      expect(await taskCount(t.db)).toBe(before);
    });

    it('POST /auth/register and /auth/login the way `curl -d` sends them', async () => {
      const email = uniqueEmail('curl');
      const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
      expect((await sendExactly('POST', '/auth/register', form, `email=${encodeURIComponent(email)}&password=correct+horse+battery`)).status).toBe(415);
      expect((await sendExactly('POST', '/auth/login', {}, JSON.stringify({ email: user.email, password: user.password }))).status).toBe(415);
      expect(await storedEmails(t.db, email)).toEqual([]);
    });

    it('PATCH /users/me and /tasks/{id}: 415 with a token, 401 without one (authentication first)', async () => {
      const created = await createTask(t.http, user);
      for (const path of ['/users/me', `/tasks/${created.id}`]) {
        expect((await sendExactly('PATCH', path, { ...user.auth, 'Content-Type': 'text/plain' }, '{"name":"x"}')).status).toBe(415);
        const anonymous = await sendExactly('PATCH', path, { 'Content-Type': 'text/plain' }, '{"name":"x"}');
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers['www-authenticate']).toBe('Bearer');
      }
    });

    it('keeps the answers to an empty body without a type: 400 naming the body', async () => {
      const res = await sendExactly('POST', '/tasks', user.auth, '');
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'body' })]));
      expect((await sendExactly('PATCH', '/users/me', user.auth, '')).status).toBe(400);
    });
  });

  describe('headers', () => {
    it('answers 431 problem+json to request headers over 16 KiB, and keeps serving', async () => {
      const res = await rawRequest(baseUrl, `GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(17 * 1024)}\r\n\r\n`);
      expectProblem(res, 431);
      expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
      await stillServes();
    });

    it('answers 431 when many headers add up to over 16 KiB', async () => {
      const headers = Array.from({ length: 400 }, (_, i) => `X-Header-${i}: ${'b'.repeat(40)}\r\n`).join('');
      expectProblem(await rawRequest(baseUrl, `GET /health/live HTTP/1.1\r\nHost: localhost\r\n${headers}\r\n`), 431);
    });

    it('serves headers just under the limit', async () => {
      const res = await rawRequest(baseUrl, `GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Padding: ${'a'.repeat(15 * 1024)}\r\n\r\n`);
      expect(res.status).toBe(200);
    });

    it('answers with an X-Request-Id: the caller\'s when it is a sane token, else a new UUID', async () => {
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
      expect((await request(t.http).get('/health/live').expect(200)).headers['x-request-id']).toMatch(uuid);
      expect((await request(t.http).get('/nope').expect(404)).headers['x-request-id']).toMatch(uuid);
      expect((await request(t.http).get('/users/me').set(user.auth).set('X-Request-Id', 'trace-1.a_B').expect(200)).headers['x-request-id']).toBe('trace-1.a_B');
      for (const insane of ['has space', 'x'.repeat(65), 'semi;colon']) {
        expect((await request(t.http).get('/health/live').set('X-Request-Id', insane)).headers['x-request-id']).toMatch(uuid);
      }
    });

    it('answers 400 problem+json to a request that is not HTTP', async () => {
      expectProblem(await rawRequest(baseUrl, 'HELLO THERE\r\n\r\n'), 400);
      await stillServes();
    });

    describe('Cache-Control: no-store on every API answer, errors included', () => {
      const noStore = (res: { headers: Record<string, unknown> }) => expect(res.headers['cache-control']).toBe('no-store');

      it('on register and login (they hold tokens)', async () => {
        const email = uniqueEmail('cache');
        noStore(await request(t.http).post('/auth/register').send({ email, password: 'correct horse battery' }).expect(201));
        noStore(await request(t.http).post('/auth/login').send({ email, password: 'correct horse battery' }).expect(200));
        noStore(await request(t.http).post('/auth/login').send({ email, password: 'wrong password!' }).expect(401));
        noStore(await request(t.http).post('/auth/register').send({ email: 'not an e-mail', password: 'correct horse battery' }).expect(400));
      });

      it('on users and tasks, success and problems alike', async () => {
        const task = await createTask(t.http, user);
        noStore(await request(t.http).get('/users/me').set(user.auth).expect(200));
        noStore(await request(t.http).get('/users/me').expect(401));
        noStore(await request(t.http).get('/tasks').set(user.auth).expect(200));
        noStore(await request(t.http).get(`/tasks/${task.id}`).set(user.auth).expect(200));
        noStore(await request(t.http).get('/tasks/00000000-0000-4000-8000-000000000000').set(user.auth).expect(404));
        noStore(await request(t.http).get('/tasks/not-a-uuid').set(user.auth).expect(400));
        noStore(await request(t.http).post('/tasks').set(user.auth).send({ title: '' }).expect(400));
        noStore(await request(t.http).get('/TASKS/').set(user.auth).expect(200));
        noStore(await sendExactly('POST', '/tasks', { ...user.auth, 'Content-Type': 'text/plain' }, 'x'));
        noStore(await request(t.http).get('/tasks/a/b/c').set(user.auth).expect(404));
      });
    });
  });

  describe('unknown fields are 400 and nothing is written', () => {
    const forbidden: [string, unknown][] = [
      ['id', '00000000-0000-4000-8000-000000000001'],
      ['userId', '00000000-0000-4000-8000-000000000002'],
      ['user_id', '00000000-0000-4000-8000-000000000003'],
      ['owner', '00000000-0000-4000-8000-000000000004'],
      ['ownerId', '00000000-0000-4000-8000-000000000005'],
      ['createdAt', '2000-01-01T00:00:00.000Z'],
      ['updatedAt', '2000-01-01T00:00:00.000Z'],
      ['passwordHash', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'],
      ['password_hash', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'],
      ['email_verified', true],
      ['__proto__', { admin: true }],
      ['constructor', { prototype: { admin: true } }],
    ];

    it.each(forbidden)('POST /auth/register with %s', async (field, value) => {
      const email = uniqueEmail('unknown');
      const body = `{"email":"${email}","password":"correct horse battery",${JSON.stringify(field)}:${JSON.stringify(value)}}`;
      expectInvalid(await request(t.http).post('/auth/register').set('Content-Type', 'application/json').send(body), field);
      expect(await userCount(t.db, email)).toBe(0);
    });

    it.each(forbidden)('PATCH /users/me with %s', async (field, value) => {
      const before = await storedMe();
      const body = `{"name":"Changed",${JSON.stringify(field)}:${JSON.stringify(value)}}`;
      expectInvalid(await request(t.http).patch('/users/me').set(user.auth).set('Content-Type', 'application/json').send(body), field);
      expect(await storedMe()).toEqual(before);
    });

    it.each(forbidden)('POST /tasks with %s', async (field, value) => {
      const before = await taskCount(t.db);
      const body = `{"title":"Sneaky",${JSON.stringify(field)}:${JSON.stringify(value)}}`;
      expectInvalid(await request(t.http).post('/tasks').set(user.auth).set('Content-Type', 'application/json').send(body), field);
      expect(await taskCount(t.db)).toBe(before);
    });

    describe('whatever their name, those of Object.prototype included', () => {
      const names = [
        'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString',
        '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__', 'constructor', '__proto__',
      ];

      it.each(names)('POST /tasks with %s', async (name) => {
        const before = await taskCount(t.db);
        const body = `{"title":"x",${JSON.stringify(name)}:{}}`;
        expectInvalid(await request(t.http).post('/tasks').set(user.auth).set('Content-Type', 'application/json').send(body), name);
        expect(await taskCount(t.db)).toBe(before);
      });

      it.each(['prototype', 'toString', 'valueOf'])('PATCH /users/me and POST /auth/register with %s', async (name) => {
        const email = uniqueEmail('proto');
        const register = `{"email":"${email}","password":"correct horse battery",${JSON.stringify(name)}:"x"}`;
        expectInvalid(await request(t.http).post('/auth/register').set('Content-Type', 'application/json').send(register), name);
        expect(await storedEmails(t.db, email)).toEqual([]);
        const patch = `{"name":"Changed",${JSON.stringify(name)}:"x"}`;
        expectInvalid(await request(t.http).patch('/users/me').set(user.auth).set('Content-Type', 'application/json').send(patch), name);
        expect((await request(t.http).get('/users/me').set(user.auth).expect(200)).body.name).not.toBe('Changed');
      });

      it('PATCH /tasks/{id} with toString', async () => {
        const task = await createTask(t.http, user, { title: 'kept' });
        const body = '{"title":"changed","toString":"x"}';
        expectInvalid(await request(t.http).patch(`/tasks/${task.id}`).set(user.auth).set('Content-Type', 'application/json').send(body), 'toString');
        expect((await request(t.http).get(`/tasks/${task.id}`).set(user.auth).expect(200)).body.title).toBe('kept');
      });
    });
  });

  describe('validation problems are bounded', () => {
    const manyKeys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 1]));

    it('lists at most 20 of 9 000 unknown keys, says how many more, and stays small', async () => {
      const email = uniqueEmail('bounded');
      const res = await request(t.http).post('/auth/register').send({ email, password: 'correct horse battery', ...manyKeys(9_000) });
      expectProblem(res, 400);
      expect(res.body.errors).toHaveLength(20);
      expect(res.body.moreErrors).toBe(8_980);
      expect(res.body.detail).toMatch(/\.\.\. and 8980 more$/);
      expect(res.text.length).toBeLessThan(8 * 1024);
      expect(await storedEmails(t.db, email)).toEqual([]);
    });

    it('cuts very long key names in errors and detail', async () => {
      const res = await request(t.http).post('/tasks').set(user.auth).send({ title: 'x', ['k'.repeat(50_000)]: 1, ['j'.repeat(40_000)]: 1 });
      expectProblem(res, 400);
      expect(res.body.errors).toHaveLength(2);
      expect(res.text.length).toBeLessThan(4 * 1024);
    });

    it('answers 401, small, to 9 000 unknown keys without a token (authentication first)', async () => {
      const res = await request(t.http).post('/tasks').send({ title: 'x', ...manyKeys(9_000) });
      expectProblem(res, 401);
      expect(res.text.length).toBeLessThan(1024);
    });

    it('says nothing of more errors when there are at most 20', async () => {
      const res = await request(t.http).post('/tasks').set(user.auth).send({ title: 'x', ...manyKeys(20) });
      expectProblem(res, 400);
      expect(res.body.errors).toHaveLength(20);
      expect(res.body.moreErrors).toBeUndefined();
      expect(res.body.detail).not.toContain('more');
    });
  });

  describe('a NUL character (U+0000) in any string is 400 naming the field, and nothing is written', () => {
    it.each<[string, Record<string, string>]>([
      ['email', { email: 'nul\u0000@example.com' }],
      ['password', { password: 'correct\u0000horse battery' }],
      ['name', { name: 'Ada\u0000' }],
      ['name', { name: '\u0000' }],
    ])('POST /auth/register with it in %s', async (field, override) => {
      const email = uniqueEmail('nul');
      expectInvalid(await request(t.http).post('/auth/register').send({ email, password: 'correct horse battery', ...override }), field);
      expect(await userCount(t.db, email)).toBe(0);
      // PostgreSQL cannot even be asked about a NUL: look for the e-mail without it
      if (override.email) expect(await userCount(t.db, override.email.replace('\u0000', ''))).toBe(0);
    });

    it.each([
      ['email', { email: 'x\u0000@example.com', password: 'correct horse battery' }],
      ['password', { email: 'x@example.com', password: 'x\u0000' }],
    ])('POST /auth/login with it in %s', async (field, body) => {
      expectInvalid(await request(t.http).post('/auth/login').send(body), field);
    });

    it('PATCH /users/me with it in name', async () => {
      const before = await storedMe();
      expectInvalid(await request(t.http).patch('/users/me').set(user.auth).send({ name: 'Eve\u0000' }), 'name');
      expect(await storedMe()).toEqual(before);
    });

    it.each([
      ['title', { title: 'Buy\u0000milk' }],
      ['description', { title: 'Buy milk', description: 'two\u0000litres' }],
    ])('POST /tasks with it in %s', async (field, body) => {
      const before = await taskCount(t.db);
      expectInvalid(await request(t.http).post('/tasks').set(user.auth).send(body), field);
      expect(await taskCount(t.db)).toBe(before);
    });

    it('PATCH /tasks/{id} with it in title', async () => {
      const task = await request(t.http).post('/tasks').set(user.auth).send({ title: 'Clean' }).expect(201);
      expectInvalid(await request(t.http).patch(`/tasks/${task.body.id}`).set(user.auth).send({ title: 'Dir\u0000ty' }), 'title');
      const { rows } = await t.db.query('select title, version from tasks where id = $1', [task.body.id]);
      expect(rows).toEqual([{ title: 'Clean', version: 1 }]);
    });

    it.each(['cursor', 'completed', 'limit'])('GET /tasks?%s=<NUL>', async (field) => {
      expectInvalid(await request(t.http).get(`/tasks?${field}=%00`).set(user.auth), field);
      expectInvalid(await request(t.http).get(`/tasks?${field}=a%00b`).set(user.auth), field);
    });

    it('in a path id', async () => {
      expectProblem(await request(t.http).get('/tasks/%00').set(user.auth), 400);
      expectProblem(await request(t.http).delete(`/tasks/00000000-0000-4000-8000-00000000000%00`).set(user.auth), 400);
    });
  });

  describe('query parameters', () => {
    it.each([
      ['limit', 'limit=5&limit=6'],
      ['limit', 'limit=5&limit=5'],
      ['completed', 'completed=true&completed=false'],
      ['cursor', 'cursor=a&cursor=b'],
    ])('answers 400 naming %s when it is given twice (%s)', async (field, query) => {
      expectInvalid(await request(t.http).get(`/tasks?${query}`).set(user.auth), field);
    });

    it('answers 400 to an unknown query parameter on GET /tasks', async () => {
      expectInvalid(await request(t.http).get('/tasks?userId=00000000-0000-4000-8000-000000000000').set(user.auth), 'userId');
    });
  });

  describe('unknown routes', () => {
    it.each([
      ['GET', '/nope'],
      ['GET', '/'],
      ['POST', '/auth/logout'],
      ['GET', '/auth/register'],
      ['GET', '/users'],
      ['GET', '/users/me/tasks'],
      ['PUT', '/users/me'],
      ['DELETE', '/tasks'],
      ['PUT', '/tasks/00000000-0000-4000-8000-000000000000'],
    ])('%s %s is 404 problem+json, with or without a token', async (method, path) => {
      const call = () => request(t.http)[method.toLowerCase() as 'get'](path);
      expectProblem(await call(), 404);
      expectProblem(await call().set(user.auth), 404);
    });

    it('quotes at most a short prefix of the path in the detail, and never the query', async () => {
      const long = await request(t.http).get(`/${'a'.repeat(15_000)}?token=secret`).set(user.auth);
      expectProblem(long, 404);
      expect(long.body.detail).toBe(`Cannot GET /${'a'.repeat(63)}…`);
      expect(long.text.length).toBeLessThan(300);
      const short = await request(t.http).delete('/nope/x?access_token=secret');
      expectProblem(short, 404);
      expect(short.body.detail).toBe('Cannot DELETE /nope/x');
    });
  });

  it('never leaks a stack trace, SQL, a driver message or a hash, whatever is thrown at it', async () => {
    const answers: Response[] = [
      await request(t.http).post('/auth/register').send({ email: user.email, password: 'correct horse battery' }), // 409 from the unique index
      await request(t.http).post('/auth/register').send({ email: uniqueEmail(), password: 'correct horse battery', name: `${'n'.repeat(100)}\uFE0F` }),
      await request(t.http).get('/tasks?cursor=eyJ4IjoxfQ').set(user.auth),
      await request(t.http).get('/tasks?limit=99999999999999999999').set(user.auth),
      await request(t.http).get(`/tasks/${'f'.repeat(8)}-ffff-ffff-ffff-${'f'.repeat(12)}`).set(user.auth),
      await request(t.http).post('/tasks').set(user.auth).send({ title: 't'.repeat(201) }),
      await request(t.http).post('/tasks').set(user.auth).send({ title: 'x', description: 'd'.repeat(10_001) }),
      await request(t.http).post('/tasks').set(user.auth).send({ title: '\uD800' }),
      await request(t.http).patch('/users/me').set(user.auth).send({ name: '\uDFFF' }),
      await request(t.http).post('/auth/login').send({ email: user.email, password: 'wrong password' }),
      await request(t.http).get('/users/me').set('Authorization', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.x'),
    ];
    for (const res of answers) {
      expect(res.status).toBeLessThan(500);
      expectNothingMatches(res.text);
    }
    await stillServes();
  });
});

describe('HTTP timeouts', () => {
  const t = useTestApp({ HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_HEADERS_TIMEOUT_MS: '1000' });
  let baseUrl: string;

  beforeAll(async () => {
    baseUrl = await listen(t.http);
  });

  it('cuts a chunked body whose chunk never arrives (size ffffffffffffffff) with 408 problem+json', async () => {
    const { answer, ms } = await exchange(
      baseUrl,
      'POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('application/problem+json');
    expect(ms).toBeLessThan(5_000);
  });

  it('cuts a body slower than the limit', async () => {
    const { answer, ms } = await exchange(baseUrl, 'POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(5_000);
  });

  it('cuts headers that never end', async () => {
    const { answer, ms } = await exchange(baseUrl, 'GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(4_000);
  });

  it('keeps serving', async () => {
    await request(t.http).get('/health/live').expect(200);
  });
});
