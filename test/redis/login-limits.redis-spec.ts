/**
 * The failed-login limits on a real Redis, with two processes of the built service sharing it as two
 * instances behind a load balancer would. TRUST_PROXY=loopback lets each test be its own client address.
 */
import { httpJson, type JsonResponse } from '../support/built-server';
import { expectProblem } from '../support/problem-assertions';
import { uniqueEmail } from '../support/unique-email';
import { sleep } from '../support/wait';
import { clientAddress, deleteKeys, REDIS_URL, startService, uniquePrefix, useBuildAndDatabase, useOwnRedis, type Service } from './support';

const MAX_FAILURES = 5;
const IP_MAX_FAILURES = 12;
const PASSWORD = 'correct horse battery';

const files = useBuildAndDatabase();
const nextAddress = () => clientAddress('203.0.113');

function login(service: Service, address: string, emailAddress: string, password: string): Promise<JsonResponse> {
  return httpJson('POST', `${service.baseUrl}/auth/login`, { email: emailAddress, password }, { 'x-forwarded-for': address });
}

async function register(service: Service, emailAddress = uniqueEmail('user')): Promise<{ email: string; token: string }> {
  const res = await httpJson('POST', `${service.baseUrl}/auth/register`, { email: emailAddress, password: PASSWORD });
  if (res.status !== 201) throw new Error(`register answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { email: res.body.user.email, token: res.body.accessToken };
}

function expectRetryAfter(res: JsonResponse, max: number): void {
  const seconds = Number(res.headers['retry-after']);
  expect(Number.isInteger(seconds)).toBe(true);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(max);
}

describe('two service processes sharing one Redis', () => {
  const prefix = uniquePrefix();
  let a: Service | undefined;
  let b: Service | undefined;

  beforeAll(async () => {
    const env = {
      DATABASE_URL: files.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      TRUST_PROXY: 'loopback',
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      LOGIN_IP_MAX_FAILURES: String(IP_MAX_FAILURES),
    };
    a = await startService(files.mainJs, env); // migrates the database first
    b = await startService(files.mainJs, env);
  });

  afterAll(async () => {
    await Promise.all([a?.process.kill(), b?.process.kill()]);
    await deleteKeys(prefix);
  });

  it(`gives 20 concurrent wrong guesses, spread over both, at most ${MAX_FAILURES} answers 401, then 429s`, async () => {
    const user = await register(a!);
    const address = nextAddress();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => login(i % 2 ? a! : b!, address, user.email, `wrong ${i}`)));
    const statuses = answers.map((res) => res.status);
    // never more than the limit (and, as each attempt is reserved atomically in Redis, exactly the limit)
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(MAX_FAILURES);
    expect(statuses.filter((status) => status === 401)).toHaveLength(MAX_FAILURES);
    expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    for (const res of answers.filter((r) => r.status === 429)) {
      expectProblem(res, 429);
      expectRetryAfter(res, 900);
    }
    // the right password too, on either process
    for (const service of [a!, b!]) expectProblem(await login(service, address, user.email, PASSWORD), 429);
  });

  it('shares one count: failures on one process count on the other', async () => {
    const user = await register(b!);
    const address = nextAddress();
    for (let i = 0; i < MAX_FAILURES; i++) expectProblem(await login(i < 3 ? a! : b!, address, user.email, 'wrong'), 401);
    for (const service of [a!, b!]) {
      const refused = await login(service, address, user.email, PASSWORD);
      expectProblem(refused, 429);
      expectRetryAfter(refused, 900);
    }
    // another client address is not affected
    expect((await login(a!, nextAddress(), user.email, PASSWORD)).status).toBe(200);
  });

  it('a success on one process resets the count on both', async () => {
    const user = await register(a!);
    const address = nextAddress();
    for (let i = 0; i < MAX_FAILURES - 1; i++) expectProblem(await login(i % 2 ? a! : b!, address, user.email, 'wrong'), 401);
    expect((await login(b!, address, user.email, PASSWORD)).status).toBe(200);
    for (let i = 0; i < MAX_FAILURES; i++) expectProblem(await login(i % 2 ? a! : b!, address, user.email, 'wrong'), 401);
    expectProblem(await login(a!, address, user.email, PASSWORD), 429);
  });

  it(`shares the per-address limit across e-mails (${IP_MAX_FAILURES} failures, then 429)`, async () => {
    const user = await register(a!);
    const address = nextAddress();
    for (let i = 0; i < IP_MAX_FAILURES; i++) expectProblem(await login(i % 2 ? a! : b!, address, uniqueEmail('spray'), 'Winter2026!'), 401);
    for (const service of [a!, b!]) {
      const refused = await login(service, address, user.email, PASSWORD);
      expectProblem(refused, 429);
      expectRetryAfter(refused, 900);
    }
  });
});

describe('a Redis outage', () => {
  const own = useOwnRedis(files);

  it('answers login 503 with Retry-After, and only login; the process stays up and logs in again once Redis is back', async () => {
    const user = await register(own.service);
    expect((await login(own.service, '127.0.0.1', user.email, PASSWORD)).status).toBe(200);

    await own.redis.stop();
    const started = Date.now();
    const refused = await login(own.service, '127.0.0.1', user.email, PASSWORD);
    expect(Date.now() - started).toBeLessThan(2500);
    expectProblem(refused, 503);
    expectRetryAfter(refused, 60);
    expect(refused.body).not.toHaveProperty('accessToken');
    // a wrong password is no different: nothing is checked without a reserved attempt
    expectProblem(await login(own.service, '127.0.0.1', user.email, 'wrong'), 503);

    // every other route works
    expect((await httpJson('GET', `${own.service.baseUrl}/health/live`)).status).toBe(200);
    const other = await register(own.service);
    const auth = { authorization: `Bearer ${other.token}` };
    expect((await httpJson('GET', `${own.service.baseUrl}/tasks`, undefined, auth)).status).toBe(200);
    expect((await httpJson('POST', `${own.service.baseUrl}/tasks`, { title: 'while Redis is down' }, auth)).status).toBe(201);
    expect((await httpJson('GET', `${own.service.baseUrl}/users/me`, undefined, auth)).status).toBe(200);
    await sleep(3000); // ioredis keeps reconnecting meanwhile
    expect(own.service.process.exit).toBeUndefined();

    await own.redis.restart();
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await login(own.service, '127.0.0.1', user.email, PASSWORD)).status;
      if (status === 200) break;
      await sleep(250);
    }
    expect(status).toBe(200);
  });

  it('stops promptly on SIGTERM while Redis is down', async () => {
    await own.redis.stop();
    expectProblem(await login(own.service, '127.0.0.1', uniqueEmail('nobody'), PASSWORD), 503);
    own.service.process.signal('SIGTERM');
    const exit = await own.service.process.waitForExit(10_000);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
