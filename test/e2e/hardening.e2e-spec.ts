import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import request, { Response } from 'supertest';
import { expectInvalid, expectProblem } from '../support/problem-assertions';
import { createTask } from '../support/tasks';
import { registerUser, RegisteredUser, uniqueEmail, useTestApp } from '../support/test-app';

// every registration runs argon2id: slow on a busy 2-core machine
jest.setTimeout(120_000);

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A request with exactly these headers (supertest adds a Content-Type to a string body; this does not). */
function send(server: http.Server, method: string, path: string, headers: Record<string, string>, body: string): Promise<RawResponse> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers: { 'Content-Length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers as Record<string, string>, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes `raw` on a TCP connection, then nothing; resolves with what came back once the server closed it, and when. */
function stall(server: http.Server, raw: string): Promise<{ answer: string; ms: number }> {
  const { port } = server.address() as AddressInfo;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(raw));
    socket.setEncoding('utf8');
    socket.setTimeout(20_000, () => socket.destroy(new Error('still open after 20 s')));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve({ answer, ms: Date.now() - started }));
    socket.on('error', (error) => (answer ? undefined : reject(error)));
  });
}

function listen(server: http.Server): Promise<void> {
  return server.listening ? Promise.resolve() : new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

describe('hardening (issue 14)', () => {
  const t = useTestApp();
  let user: RegisteredUser;

  beforeAll(async () => {
    await listen(t.http);
    user = await registerUser(t.http);
  });

  async function taskCount(): Promise<number> {
    const { rows } = await t.db.query<{ n: number }>('select count(*)::int as n from tasks');
    return rows[0].n;
  }

  async function storedEmails(like: string): Promise<string[]> {
    const { rows } = await t.db.query<{ email: string }>('select email from users where email like $1 order by email', [like]);
    return rows.map((r) => r.email);
  }

  describe('unknown body keys are 400 whatever their name, and nothing is written (item 3)', () => {
    const names = [
      'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString',
      '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__', 'constructor', '__proto__',
    ];

    it.each(names)('POST /tasks with %s', async (name) => {
      const before = await taskCount();
      const body = `{"title":"x",${JSON.stringify(name)}:{}}`;
      expectInvalid(await request(t.http).post('/tasks').set(user.auth).set('Content-Type', 'application/json').send(body), name);
      expect(await taskCount()).toBe(before);
    });

    it.each(['prototype', 'toString', 'valueOf'])('PATCH /users/me and POST /auth/register with %s', async (name) => {
      const email = uniqueEmail('proto');
      const register = `{"email":"${email}","password":"correct horse battery",${JSON.stringify(name)}:"x"}`;
      expectInvalid(await request(t.http).post('/auth/register').set('Content-Type', 'application/json').send(register), name);
      expect(await storedEmails(email)).toEqual([]);
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

  describe('validation problems are bounded (item 4)', () => {
    const manyKeys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 1]));

    it('lists at most 20 of 9 000 unknown keys, says how many more, and stays small', async () => {
      const email = uniqueEmail('bounded');
      const res = await request(t.http).post('/auth/register').send({ email, password: 'correct horse battery', ...manyKeys(9_000) });
      expectProblem(res, 400);
      expect(res.body.errors).toHaveLength(20);
      expect(res.body.moreErrors).toBe(8_980);
      expect(res.body.detail).toMatch(/\.\.\. and 8980 more$/);
      expect(res.text.length).toBeLessThan(8 * 1024);
      expect(await storedEmails(email)).toEqual([]);
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

  describe('a body that is not JSON, or has no Content-Type, is 415 naming the header (item 11)', () => {
    const task = '{"title":"typed wrong"}';

    it.each([
      ['application/x-www-form-urlencoded', 'title=typed+wrong'],
      ['text/plain', task],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--x--\r\n'],
      [undefined, task],
    ])('POST /tasks with Content-Type %p', async (type, body) => {
      const before = await taskCount();
      const res = await send(t.http, 'POST', '/tasks', { ...user.auth, ...(type ? { 'Content-Type': type } : {}) }, body);
      expect(res.status).toBe(415);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = JSON.parse(res.body) as { status: number; detail: string };
      expect(problem).toMatchObject({ status: 415, detail: expect.stringContaining('Content-Type') });
      expect(problem.detail).toContain('application/json');
      expect(await taskCount()).toBe(before);
    });

    it('POST /auth/register and /auth/login the way `curl -d` sends them', async () => {
      const email = uniqueEmail('curl');
      const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
      expect((await send(t.http, 'POST', '/auth/register', form, `email=${encodeURIComponent(email)}&password=correct+horse+battery`)).status).toBe(415);
      expect((await send(t.http, 'POST', '/auth/login', {}, JSON.stringify({ email: user.email, password: user.password }))).status).toBe(415);
      expect(await storedEmails(email)).toEqual([]);
    });

    it('PATCH /users/me and /tasks/{id}: 415 with a token, 401 without one (authentication first)', async () => {
      const created = await createTask(t.http, user);
      for (const path of ['/users/me', `/tasks/${created.id}`]) {
        expect((await send(t.http, 'PATCH', path, { ...user.auth, 'Content-Type': 'text/plain' }, '{"name":"x"}')).status).toBe(415);
        const anonymous = await send(t.http, 'PATCH', path, { 'Content-Type': 'text/plain' }, '{"name":"x"}');
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers['www-authenticate']).toBe('Bearer');
      }
    });

    it('keeps the answers to an empty body without a type: 400 naming the body', async () => {
      const res = await send(t.http, 'POST', '/tasks', user.auth, '');
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'body' })]));
      expect((await send(t.http, 'PATCH', '/users/me', user.auth, '')).status).toBe(400);
    });
  });

  describe('Cache-Control: no-store on every API answer, errors included (item 6)', () => {
    const noStore = (res: Response | RawResponse) => expect(res.headers['cache-control']).toBe('no-store');

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
      noStore(await send(t.http, 'POST', '/tasks', { ...user.auth, 'Content-Type': 'text/plain' }, 'x'));
      noStore(await request(t.http).get('/tasks/a/b/c').set(user.auth).expect(404));
    });
  });

  describe('Unicode (item 2)', () => {
    it.each([
      ['password', { password: 'abcdefgh\ud800' }],
      ['password', { password: 'abcdefgh\udfff' }],
      ['name', { name: 'Ada \udbff' }],
      ['email', { email: 'ada\ud800@example.com' }],
    ])('a lone surrogate in %s at register is 400 naming it', async (field, override) => {
      const email = uniqueEmail('surrogate');
      expectInvalid(await request(t.http).post('/auth/register').send({ email, password: 'correct horse battery', ...override }), field);
      expect(await storedEmails(email)).toEqual([]);
    });

    it('a lone surrogate in a login password, a task title or a user name is 400 naming it', async () => {
      expectInvalid(await request(t.http).post('/auth/login').send({ email: user.email, password: `${user.password}\ud800` }), 'password');
      expectInvalid(await request(t.http).post('/tasks').set(user.auth).send({ title: 'half \udc00' }), 'title');
      expectInvalid(await request(t.http).patch('/users/me').set(user.auth).send({ name: '\ud83d' }), 'name');
    });

    it('a well-formed pair (an emoji) is fine', async () => {
      await request(t.http).patch('/users/me').set(user.auth).send({ name: 'Ada \ud83d\ude00' }).expect(200);
    });

    it.each([
      ['a zero-width space', 'alice\u200b'],
      ['a right-to-left override', 'alice\u202e'],
      ['a zero-width joiner', 'al\u200dice'],
      ['a left-to-right isolate', '\u2066alice'],
      ['a soft hyphen', 'al\u00adice'],
    ])('an e-mail with %s is 400 at register and login', async (_label, local) => {
      const email = `${local}-${process.pid}-${Date.now()}@example.com`;
      expectInvalid(await request(t.http).post('/auth/register').send({ email, password: 'correct horse battery' }), 'email');
      expectInvalid(await request(t.http).post('/auth/login').send({ email, password: 'correct horse battery' }), 'email');
    });

    it('full-width and upper-case forms of an e-mail are the same account', async () => {
      const local = `wide${process.pid}${Date.now()}`;
      const wide = [...local].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('');
      const res = await request(t.http).post('/auth/register').send({ email: `Ａ${wide}@example.com`, password: 'correct horse battery' }).expect(201);
      expect(res.body.user.email).toBe(`a${local}@example.com`);
      expectProblem(await request(t.http).post('/auth/register').send({ email: `a${local}@example.com`, password: 'another password' }), 409);
      await request(t.http).post('/auth/login').send({ email: `A${local}@EXAMPLE.COM`, password: 'correct horse battery' }).expect(200);
      await request(t.http).post('/auth/login').send({ email: `ａ${wide}@example.com`, password: 'correct horse battery' }).expect(200);
      expect(await storedEmails(`a${local}@%`)).toEqual([`a${local}@example.com`]);
    });

    it('a combining accent and its precomposed form are the same account (NFC)', async () => {
      const suffix = `${process.pid}${Date.now()}@example.com`;
      const res = await request(t.http).post('/auth/register').send({ email: `jose\u0301${suffix}`, password: 'correct horse battery' }).expect(201);
      expect(res.body.user.email).toBe(`jos\u00e9${suffix}`);
      expectProblem(await request(t.http).post('/auth/register').send({ email: `jos\u00e9${suffix}`, password: 'another password' }), 409);
      await request(t.http).post('/auth/login').send({ email: `JOS\u00c9${suffix}`, password: 'correct horse battery' }).expect(200);
    });
  });

  describe('If-Match (item 10)', () => {
    const patch = (id: string, ifMatch: string) =>
      request(t.http).patch(`/tasks/${id}`).set(user.auth).set('If-Match', ifMatch).send({ title: 'changed' });

    it.each(['3', 'garbage', '"1', '*, "1"', ''])('%p is 400 naming the header, and nothing is written', async (ifMatch) => {
      const task = await createTask(t.http, user, { title: 'kept' });
      expectInvalid(await patch(task.id, ifMatch), 'If-Match');
      expect((await request(t.http).get(`/tasks/${task.id}`).set(user.auth).expect(200)).body).toMatchObject({ title: 'kept', version: 1 });
    });

    it('a weak tag never matches, even of the current version: 412 that says why', async () => {
      const task = await createTask(t.http, user, { title: 'kept' });
      const res = await patch(task.id, 'W/"1"');
      expectProblem(res, 412);
      expect(res.body.detail).toMatch(/weak/i);
      expect(res.body.detail).toMatch(/never match/i);
      expect((await request(t.http).get(`/tasks/${task.id}`).set(user.auth).expect(200)).body).toMatchObject({ title: 'kept', version: 1 });
    });

    it('a weak tag on a missing task is still 404, and a stale strong tag still says the task has changed', async () => {
      await patch('00000000-0000-4000-8000-000000000000', 'W/"1"').expect(404);
      const task = await createTask(t.http, user);
      const res = await patch(task.id, '"7"');
      expectProblem(res, 412);
      expect(res.body.detail).not.toMatch(/weak/i);
    });
  });
});

describe('HTTP timeouts (item 7)', () => {
  const t = useTestApp({ HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_HEADERS_TIMEOUT_MS: '1000' });

  beforeAll(() => listen(t.http));

  it('cuts a chunked body whose chunk never arrives (size ffffffffffffffff) with 408 problem+json', async () => {
    const { answer, ms } = await stall(
      t.http,
      'POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('application/problem+json');
    expect(ms).toBeLessThan(5_000);
  });

  it('cuts a body slower than the limit', async () => {
    const { answer, ms } = await stall(t.http, 'POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(5_000);
  });

  it('cuts headers that never end', async () => {
    const { answer, ms } = await stall(t.http, 'GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(4_000);
  });

  it('keeps serving', async () => {
    await request(t.http).get('/health/live').expect(200);
  });
});
