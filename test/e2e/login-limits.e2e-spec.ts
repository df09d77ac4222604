/**
 * The failed-login limits on the memory store (no REDIS_URL), and a REDIS_URL that cannot be reached.
 * The same on a real Redis, shared by two processes: test/redis (npm run test:redis).
 */
import request from 'supertest';
import { freePort } from '../support/free-port';
import { expectProblem } from '../support/problem-assertions';
import { registerUser, TestApp, uniqueEmail, useTestApp } from '../support/test-app';

// every login runs argon2id: slow on a busy 2-core machine
jest.setTimeout(120_000);

function login(t: TestApp, email: string, password: string, headers: Record<string, string> = {}): request.Test {
  return request(t.http).post('/auth/login').set(headers).send({ email, password });
}

describe('login limits, memory store (LOGIN_MAX_FAILURES=5, LOGIN_IP_MAX_FAILURES=8, TRUST_PROXY=loopback)', () => {
  const t = useTestApp({ LOGIN_MAX_FAILURES: '5', LOGIN_IP_MAX_FAILURES: '8', TRUST_PROXY: 'loopback' });

  it('gives 20 concurrent wrong guesses exactly 5 answers 401, the rest 429 with Retry-After', async () => {
    const user = await registerUser(t.http);
    const client = { 'X-Forwarded-For': '203.0.113.1' };
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => login(t, user.email, `wrong ${i}`, client)));
    expect(answers.filter((res) => res.status === 401)).toHaveLength(5);
    const refused = answers.filter((res) => res.status === 429);
    expect(refused).toHaveLength(15);
    for (const res of refused) {
      expectProblem(res, 429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    expectProblem(await login(t, user.email, user.password, client), 429);
  });

  it('limits one address across all e-mails (password spraying), and no other address', async () => {
    const victim = await registerUser(t.http);
    const sprayer = { 'X-Forwarded-For': '203.0.113.2' };
    for (let i = 0; i < 8; i++) expectProblem(await login(t, uniqueEmail('spray'), 'Winter2026!', sprayer), 401);
    const refused = await login(t, uniqueEmail('spray'), 'Winter2026!', sprayer);
    expectProblem(refused, 429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(900);
    expectProblem(await login(t, victim.email, victim.password, sprayer), 429); // even the right password
    await login(t, victim.email, victim.password, { 'X-Forwarded-For': '203.0.113.3' }).expect(200);
  });

  it('a success clears that client\'s failures for that e-mail, and does not count against its address', async () => {
    const user = await registerUser(t.http);
    const client = { 'X-Forwarded-For': '203.0.113.4' };
    // without the clearing the 2nd round would pass the e-mail limit (5)
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3; i++) expectProblem(await login(t, user.email, 'wrong', client), 401);
      await login(t, user.email, user.password, client).expect(200);
    }
    // a success clears only the e-mail's count: the address has 6 failures, so 2 more (were the successes
    // counted, it would have 8 already)
    for (let i = 0; i < 2; i++) expectProblem(await login(t, uniqueEmail('other'), 'wrong', client), 401);
    expectProblem(await login(t, uniqueEmail('other'), 'wrong', client), 429);
  });
});

describe('login limits with a REDIS_URL that cannot be reached', () => {
  let port = 0;
  const env: Record<string, string> = {};
  beforeAll(async () => {
    port = await freePort(); // nothing listens there
    env.REDIS_URL = `redis://127.0.0.1:${port}`;
  });
  const t = useTestApp(env);

  it('answers a login 503 with Retry-After, quickly; every other route works', async () => {
    expect(t.config.redis.url).toBe(`redis://127.0.0.1:${port}`);
    const user = await registerUser(t.http); // registration works
    const started = Date.now();
    const res = await login(t, user.email, user.password);
    expect(Date.now() - started).toBeLessThan(2000);
    expectProblem(res, 503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body).not.toHaveProperty('accessToken');
    await request(t.http).get('/health/live').expect(200);
    await request(t.http).get('/users/me').set(user.auth).expect(200);
    await request(t.http).get('/tasks').set(user.auth).expect(200);
  });
});
