/**
 * A body that is not well-formed UTF-8, or an object with a key twice, is 400 and nothing is stored; every
 * answer says X-Content-Type-Options: nosniff, the API's a Content-Security-Policy that allows nothing, and
 * Swagger UI's one that lets it run and still forbids framing.
 */
import request from 'supertest';
import { serviceMetrics } from '../../src/metrics/metrics';
import { startMetricsServer } from '../../src/metrics/metrics-server';
import { listen, rawRequest, request as send, type HttpResult } from '../support/http-client';
import { expectProblem } from '../support/problem-assertions';
import { createTask } from '../support/tasks';
import { registerUser, RegisteredUser, uniqueEmail, useTestApp } from '../support/test-app';
import { userCount } from '../support/users';

// every registration runs argon2id: slow on a busy 2-core machine
jest.setTimeout(120_000);

const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** A 400 problem+json whose detail matches `detail`. */
function expectBadRequest(res: HttpResult, detail: RegExp): void {
  expectProblem(res, 400);
  expect(res.body).toEqual(expect.objectContaining({ title: 'Bad Request', detail: expect.stringMatching(detail) }));
}

/** JSON text with `bytes` spliced in where `%%` stands (inside a string value). */
const withBytes = (json: string, bytes: number[]) => {
  const [before, after] = json.split('%%');
  return Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);
};

describe('strict bodies and security headers', () => {
  const t = useTestApp();
  let user: RegisteredUser;

  beforeAll(async () => {
    user = await registerUser(t.http);
  });

  /** A JSON request whose body is these bytes as they are (supertest would re-encode a Buffer). */
  const sendBytes = async (method: string, path: string, body: Buffer, headers: Record<string, string> = {}) =>
    send(await listen(t.http), method, path, { bytes: body, headers: { 'Content-Type': 'application/json', ...headers } });

  async function tasksOf(owner: RegisteredUser): Promise<{ title: string; description: string | null }[]> {
    const { rows } = await t.db.query('select title, description from tasks where user_id = $1 order by created_at', [owner.id]);
    return rows;
  }

  const storedName = async () => (await t.db.query<{ name: string | null }>('select name from users where id = $1', [user.id])).rows[0].name;

  describe('a body that is not well-formed UTF-8 is 400, never stored with U+FFFD in its place', () => {
    const malformed: [string, number[]][] = [
      ['an invalid byte (FF)', [0xff]],
      ['a lone continuation byte (80)', [0x80]],
      ['a sequence cut short (E2 82)', [0xe2, 0x82]],
      ['an overlong "/" (C0 AF)', [0xc0, 0xaf]],
      ['an overlong "/" in three bytes (E0 80 AF)', [0xe0, 0x80, 0xaf]],
      ['a surrogate encoded in UTF-8 (ED A0 80, U+D800)', [0xed, 0xa0, 0x80]],
      ['a code point above U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
    ];

    it.each(malformed)('%s in a registration: 400, and no account', async (_label, bytes) => {
      const email = uniqueEmail('utf8');
      const body = withBytes(JSON.stringify({ email, password: 'correct horse battery', name: 'a%%b' }), bytes);
      expectBadRequest(await sendBytes('POST', '/auth/register', body), /UTF-8/);
      expect(await userCount(t.db, email)).toBe(0);
    });

    it.each(malformed)('%s in a task title or a user name: 400, and nothing changes', async (_label, bytes) => {
      const before = await tasksOf(user);
      const nameBefore = await storedName();
      expectBadRequest(await sendBytes('POST', '/tasks', withBytes('{"title":"x%%y"}', bytes), user.auth), /UTF-8/);
      expectBadRequest(await sendBytes('PATCH', '/users/me', withBytes('{"name":"x%%y"}', bytes), user.auth), /UTF-8/);
      expect(await tasksOf(user)).toEqual(before);
      expect(await storedName()).toBe(nameBefore);
    });

    it('a password with an invalid byte cannot log in as the password with U+FFFD', async () => {
      const owner = await registerUser(t.http, uniqueEmail('fffd'), 'correct horse \uFFFD battery');
      const res = await sendBytes('POST', '/auth/login', withBytes(`{"email":"${owner.email}","password":"correct horse %% battery"}`, [0xff]));
      expectBadRequest(res, /UTF-8/);
    });

    it('well-formed UTF-8 (2, 3 and 4 bytes) is read and stored as sent', async () => {
      const title = 'café – 日本 😀';
      const res = await sendBytes('POST', '/tasks', Buffer.from(JSON.stringify({ title })), user.auth);
      expect(res.status).toBe(201);
      expect(res.body.title).toBe(title);
      expect((await tasksOf(user)).map((task) => task.title)).toContain(title);
    });

    it('UTF-16 with a lone surrogate is 400 too; well-formed UTF-16 is read', async () => {
      const lone = Buffer.concat([Buffer.from('{"title":"a', 'utf16le'), Buffer.from([0x00, 0xd8]), Buffer.from('b"}', 'utf16le')]);
      expectBadRequest(await sendBytes('POST', '/tasks', lone, { ...user.auth, 'Content-Type': 'application/json; charset=utf-16le' }), /UTF-16/);
      const good = Buffer.from('{"title":"utf-16 😀"}', 'utf16le');
      const res = await sendBytes('POST', '/tasks', good, { ...user.auth, 'Content-Type': 'application/json; charset=utf-16le' });
      expect(res.status).toBe(201);
      expect(res.body.title).toBe('utf-16 😀');
    });
  });

  describe('a JSON object with a key twice is 400, and nothing is written', () => {
    it('a registration with two passwords', async () => {
      const email = uniqueEmail('dup');
      const body = `{"email":"${email}","password":"correct horse battery","password":"another password 1"}`;
      expectBadRequest(await sendBytes('POST', '/auth/register', Buffer.from(body)), /"password" twice/);
      expect(await userCount(t.db, email)).toBe(0);
    });

    it('a login with two e-mails (a proxy may read the first, the service the last)', async () => {
      const body = `{"email":"someone-else@example.com","email":"${user.email}","password":"${user.password}"}`;
      expectBadRequest(await sendBytes('POST', '/auth/login', Buffer.from(body)), /"email" twice/);
    });

    it('a task created or patched with two titles', async () => {
      const before = await tasksOf(user);
      expectBadRequest(await sendBytes('POST', '/tasks', Buffer.from('{"title":"first","title":"second"}'), user.auth), /"title" twice/);
      expect(await tasksOf(user)).toEqual(before);

      const task = await createTask(t.http, user, { title: 'kept' });
      const res = await sendBytes('PATCH', `/tasks/${task.id}`, Buffer.from('{"title":"first","completed":true,"title":"second"}'), user.auth);
      expectBadRequest(res, /"title" twice/);
      const stored = await request(t.http).get(`/tasks/${task.id}`).set(user.auth).expect(200);
      expect(stored.body).toEqual(expect.objectContaining({ title: 'kept', completed: false }));
    });

    it('keys that are equal once their escapes are read ("title" and "t\\u0069tle")', async () => {
      const before = await tasksOf(user);
      expectBadRequest(await sendBytes('POST', '/tasks', Buffer.from('{"title":"a","t\\u0069tle":"b"}'), user.auth), /"title" twice/);
      expect(await tasksOf(user)).toEqual(before);
    });

    it('at any depth, and whatever the key (__proto__ included)', async () => {
      for (const body of ['{"title":"a","x":{"k":1,"k":2}}', '{"title":"a","x":[{"k":1},{"y":{"k":1,"k":1}}]}', '{"__proto__":{},"__proto__":{}}']) {
        expectBadRequest(await sendBytes('POST', '/tasks', Buffer.from(body), user.auth), /twice/);
      }
    });

    it('echoes at most a short prefix of a long duplicate key', async () => {
      const key = 'k'.repeat(20_000);
      const res = await sendBytes('POST', '/tasks', Buffer.from(`{"${key}":1,"${key}":2}`), user.auth);
      expectBadRequest(res, /twice/);
      expect(res.text.length).toBeLessThan(1000);
    });
  });

  describe('security headers', () => {
    /** Every answer, whoever writes it: the app, Fastify's router, Node's HTTP parser. */
    const answers: [string, () => Promise<{ status: number; headers: Record<string, unknown> }>][] = [
      ['GET /health/live', () => request(t.http).get('/health/live')],
      ['GET /health/ready', () => request(t.http).get('/health/ready')],
      ['GET /users/me', () => request(t.http).get('/users/me').set(user.auth)],
      ['GET /tasks', () => request(t.http).get('/tasks').set(user.auth)],
      ['POST /auth/login (401)', () => request(t.http).post('/auth/login').send({ email: uniqueEmail(), password: 'wrong password!' })],
      ['GET /users/me without a token (401)', () => request(t.http).get('/users/me')],
      ['POST /tasks with a bad body (400)', () => request(t.http).post('/tasks').set(user.auth).send({ title: '' })],
      ['POST /tasks as a form (415)', () => request(t.http).post('/tasks').set(user.auth).type('form').send('title=x')],
      ['POST /auth/register over 100 KiB (413)', () => request(t.http).post('/auth/register').send({ email: 'x@example.com', name: 'n'.repeat(110_000) })],
      ['an unknown route (404)', () => request(t.http).get('/no-such-route')],
      ['GET /docs-json', () => request(t.http).get('/docs-json')],
      ['a path that is not valid percent-encoding (400)', () => request(t.http).get('/tasks/%E0%A4%A')],
      ['a request that is not HTTP (400)', async () => rawRequest(await listen(t.http), 'HELLO THERE\r\n\r\n')],
      ['headers over 16 KiB (431)', async () => rawRequest(await listen(t.http), `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(17 * 1024)}\r\n\r\n`)],
    ];

    it.each(answers)('%s: nosniff, and the API policy', async (_label, call) => {
      const res = await call();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe(API_CSP);
    });

    it.each(['/docs', '/docs/', '/docs/swagger-ui-init.js', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/docs/favicon-32x32.png'])(
      'Swagger UI (%s): nosniff, and a policy that lets its own scripts, styles and calls run, and forbids framing',
      async (path) => {
        const res = await request(t.http).get(path);
        expect(res.status).toBe(200);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        const policy = new Map(
          String(res.headers['content-security-policy'])
            .split(';')
            .map((directive) => directive.trim().split(/\s+/))
            .map(([name, ...sources]) => [name, sources]),
        );
        expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
        expect(policy.get('default-src')).toEqual(["'none'"]);
        expect(policy.get('script-src')).toEqual(["'self'"]); // no inline script, no eval
        expect(policy.get('style-src')).toContain("'self'");
        expect(policy.get('connect-src')).toEqual(["'self'"]); // "Try it out" calls this origin only
        expect(res.headers['x-frame-options']).toBe('DENY');
      },
    );

    it('the metrics endpoint says nosniff too', async () => {
      const server = await startMetricsServer(serviceMetrics, 0, '127.0.0.1');
      try {
        for (const path of ['/metrics', '/elsewhere']) {
          expect((await request(server).get(path)).headers['x-content-type-options']).toBe('nosniff');
        }
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });
});
