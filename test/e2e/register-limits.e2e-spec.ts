/**
 * Registration floods: the per-address limit (memory store; on Redis, shared by two processes: test/redis), and
 * the bound on password hashing, which answers a registration it cannot take at once instead of queueing it and
 * keeps logins from waiting behind registrations. The login latency during a flood is measured by
 * `npm run bench:register-flood`.
 */
import { performance } from 'node:perf_hooks';
import request from 'supertest';
import { expectProblem } from '../support/problem-assertions';
import { listen } from '../support/http-client';
import { registerUser, TestApp, uniqueEmail, useTestApp } from '../support/test-app';
import { userCount } from '../support/users';
import { sleep } from '../support/wait';

// every registration runs argon2id: slow on a busy 2-core machine
jest.setTimeout(180_000);

const PASSWORD = 'correct horse battery';

function register(t: TestApp, headers: Record<string, string> = {}, email = uniqueEmail('reg')): request.Test {
  return request(t.http).post('/auth/register').set(headers).send({ email, password: PASSWORD });
}

function expectRetryAfter(res: request.Response, max: number): void {
  const seconds = Number(res.headers['retry-after']);
  expect(Number.isInteger(seconds)).toBe(true);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(max);
}

describe('registrations per client address (REGISTER_IP_MAX=3, TRUST_PROXY=loopback)', () => {
  const t = useTestApp({ REGISTER_IP_MAX: '3', REGISTER_IP_WINDOW_SECONDS: '3600', TRUST_PROXY: 'loopback' });

  it('allows 3 from one address, then 429 problem+json with Retry-After, and writes nothing; another address is not affected', async () => {
    const client = { 'X-Forwarded-For': '203.0.113.10' };
    for (let i = 0; i < 3; i++) await register(t, client).expect(201);
    const before = await userCount(t.db);
    const email = uniqueEmail('refused');
    const refused = await register(t, client, email);
    expectProblem(refused, 429);
    expectRetryAfter(refused, 3600);
    expect(refused.body).not.toHaveProperty('accessToken');
    expect(await userCount(t.db)).toBe(before);
    await register(t, { 'X-Forwarded-For': '203.0.113.11' }, email).expect(201);
  });

  it('counts concurrent registrations exactly: of 12 at once from one address, 3 are 201 and 9 are 429', async () => {
    const client = { 'X-Forwarded-For': '203.0.113.12' };
    const answers = await Promise.all(Array.from({ length: 12 }, () => register(t, client)));
    expect(answers.map((res) => res.status).sort()).toEqual([...Array(3).fill(201), ...Array(9).fill(429)]);
    for (const res of answers.filter((r) => r.status === 429)) expectRetryAfter(res, 3600);
  });

  it('counts an e-mail already taken (409) as a registration', async () => {
    const client = { 'X-Forwarded-For': '203.0.113.13' };
    const taken = (await register(t, client).expect(201)).body.user.email as string;
    for (let i = 0; i < 2; i++) await register(t, client, taken).expect(409);
    expectProblem(await register(t, client), 429);
  });

  it('does not count logins, nor limit them', async () => {
    const client = { 'X-Forwarded-For': '203.0.113.14' };
    const user = await registerUser(t.http, uniqueEmail('login'), PASSWORD);
    for (let i = 0; i < 5; i++) await request(t.http).post('/auth/login').set(client).send({ email: user.email, password: PASSWORD }).expect(200);
    for (let i = 0; i < 3; i++) await register(t, client).expect(201);
  });
});

describe('registrations per client address without TRUST_PROXY (REGISTER_IP_MAX=2)', () => {
  const t = useTestApp({ REGISTER_IP_MAX: '2' });

  it('cannot be escaped with a forged X-Forwarded-For', async () => {
    await register(t, { 'X-Forwarded-For': '198.51.100.1' }).expect(201);
    await register(t, { 'X-Forwarded-For': '198.51.100.2' }).expect(201);
    expectProblem(await register(t, { 'X-Forwarded-For': '198.51.100.3' }), 429);
  });
});

describe('password hashing saturated (REGISTER_HASH_CONCURRENCY=1, REGISTER_HASH_QUEUE=1)', () => {
  const BURST = 30;
  const t = useTestApp({ REGISTER_HASH_CONCURRENCY: '1', REGISTER_HASH_QUEUE: '1', REGISTER_IP_MAX: String(BURST) });

  it('answers the registrations it cannot take at once with 503 and Retry-After, and does not count them', async () => {
    const started = performance.now();
    const answered: { status: number; ms: number; res: request.Response }[] = [];
    const before = await userCount(t.db);
    const flood = Promise.all(
      Array.from({ length: BURST }, async () => {
        const res = await register(t);
        answered.push({ status: res.status, ms: performance.now() - started, res });
      }),
    );
    await flood;

    const created = answered.filter((a) => a.status === 201);
    const busy = answered.filter((a) => a.status === 503);
    expect(created.length + busy.length).toBe(BURST);
    // one hashing and one waiting: the others arrived while both places were taken
    expect(busy.length).toBeGreaterThan(0);
    for (const { res } of busy) {
      expectProblem(res, 503);
      expectRetryAfter(res, 60);
    }
    // "at once": each refusal came back before the registrations that held the places were done
    const lastCreated = Math.max(...created.map((a) => a.ms));
    for (const { ms } of busy) expect(ms).toBeLessThan(lastCreated);
    expect(await userCount(t.db)).toBe(before + created.length);

    // refusals were given back: this address has registered only created.length times of its BURST
    await register(t).expect(201);
  });
});

describe('a registration flood does not hold logins back (300 registrations from 30 addresses, TRUST_PROXY=loopback)', () => {
  const t = useTestApp({ TRUST_PROXY: 'loopback' });

  it('answers a correct login 200 while the admitted registrations are still hashing; no registration waits past 10 s', async () => {
    const user = await registerUser(t.http, uniqueEmail('flooded'), PASSWORD);
    // one listening socket for all of them (supertest would otherwise listen once per request)
    const baseUrl = await listen(t.http);
    const started = performance.now();
    const flood = Array.from({ length: 300 }, async (_, i) => {
      const res = await fetch(`${baseUrl}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `192.0.2.${(i % 30) + 1}` },
        body: JSON.stringify({ email: uniqueEmail('flood'), password: PASSWORD }),
      });
      await res.arrayBuffer();
      return { status: res.status, retryAfter: res.headers.get('retry-after'), ms: performance.now() - started };
    });
    // the login arrives once the flood is in: every registration hashing slot and waiting place is taken
    await sleep(100);
    const login = await fetch(`${baseUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.200' },
      body: JSON.stringify({ email: user.email, password: PASSWORD }),
    });
    const loginMs = performance.now() - started;
    expect(login.status).toBe(200);
    const answers = await Promise.all(flood);

    const statuses = new Set(answers.map((a) => a.status));
    expect([...statuses].filter((s) => s !== 201 && s !== 503)).toEqual([]);
    for (const a of answers.filter((x) => x.status === 503)) expect(Number(a.retryAfter)).toBeGreaterThan(0);
    const created = answers.filter((a) => a.status === 201);
    expect(created.length).toBeGreaterThan(0);
    // the login did not queue behind them: it was answered before the admitted registrations were all done
    // (an order, not a time, so that a slow machine does not make it fail; the bench measures the time)
    expect(loginMs).toBeLessThan(Math.max(...created.map((a) => a.ms)));
    for (const a of answers) expect(a.ms).toBeLessThan(10_000);
  });
});
