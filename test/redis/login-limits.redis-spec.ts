/**
 * The failed-login limits on a real Redis, with two processes of the built service sharing it as two
 * instances behind a load balancer would. TRUST_PROXY=loopback lets each test be its own client address.
 */
import { httpJson, privateBuild, removePrivateBuild, type JsonResponse } from '../support/built-server';
import { createDatabase, deleteKeys, REDIS_URL, RedisServer, sleep, startService, uniquePrefix, type Service } from './support';

const MAX_FAILURES = 5;
const IP_MAX_FAILURES = 12;
const PASSWORD = 'correct horse battery';

let mainJs: string | undefined;
let database: { url: string; drop(): Promise<void> } | undefined;
let counter = 0;

function email(label: string): string {
  return `${label}-${process.pid}-${Date.now()}-${counter++}@example.com`;
}

function clientAddress(): string {
  return `203.0.113.${(counter++ % 250) + 1}`;
}

function login(service: Service, address: string, emailAddress: string, password: string): Promise<JsonResponse> {
  return httpJson('POST', `${service.baseUrl}/auth/login`, { email: emailAddress, password }, { 'x-forwarded-for': address });
}

async function register(service: Service, emailAddress = email('user')): Promise<{ email: string; token: string }> {
  const res = await httpJson('POST', `${service.baseUrl}/auth/register`, { email: emailAddress, password: PASSWORD });
  if (res.status !== 201) throw new Error(`register answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { email: res.body.user.email, token: res.body.accessToken };
}

function expectProblem(res: JsonResponse, status: number): void {
  expect({ status: res.status, body: res.body }).toEqual({ status, body: expect.objectContaining({ status }) });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
}

function expectRetryAfter(res: JsonResponse, max: number): void {
  const seconds = Number(res.headers['retry-after']);
  expect(Number.isInteger(seconds)).toBe(true);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(max);
}

beforeAll(async () => {
  mainJs = await privateBuild();
  database = await createDatabase();
}, 600_000);

afterAll(async () => {
  await database?.drop();
  removePrivateBuild(mainJs);
});

describe('two service processes sharing one Redis', () => {
  const prefix = uniquePrefix();
  let a: Service | undefined;
  let b: Service | undefined;

  beforeAll(async () => {
    const env = {
      DATABASE_URL: database!.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      TRUST_PROXY: 'loopback',
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      LOGIN_IP_MAX_FAILURES: String(IP_MAX_FAILURES),
    };
    a = await startService(mainJs!, env); // migrates the database first
    b = await startService(mainJs!, env);
  });

  afterAll(async () => {
    await Promise.all([a?.process.kill(), b?.process.kill()]);
    await deleteKeys(prefix);
  });

  it(`gives 20 concurrent wrong guesses, spread over both, at most ${MAX_FAILURES} answers 401, then 429s`, async () => {
    const user = await register(a!);
    const address = clientAddress();
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
    const address = clientAddress();
    for (let i = 0; i < MAX_FAILURES; i++) expectProblem(await login(i < 3 ? a! : b!, address, user.email, 'wrong'), 401);
    for (const service of [a!, b!]) {
      const refused = await login(service, address, user.email, PASSWORD);
      expectProblem(refused, 429);
      expectRetryAfter(refused, 900);
    }
    // another client address is not affected
    expect((await login(a!, clientAddress(), user.email, PASSWORD)).status).toBe(200);
  });

  it('a success on one process resets the count on both', async () => {
    const user = await register(a!);
    const address = clientAddress();
    for (let i = 0; i < MAX_FAILURES - 1; i++) expectProblem(await login(i % 2 ? a! : b!, address, user.email, 'wrong'), 401);
    expect((await login(b!, address, user.email, PASSWORD)).status).toBe(200);
    for (let i = 0; i < MAX_FAILURES; i++) expectProblem(await login(i % 2 ? a! : b!, address, user.email, 'wrong'), 401);
    expectProblem(await login(a!, address, user.email, PASSWORD), 429);
  });

  it(`shares the per-address limit across e-mails (${IP_MAX_FAILURES} failures, then 429)`, async () => {
    const user = await register(a!);
    const address = clientAddress();
    for (let i = 0; i < IP_MAX_FAILURES; i++) expectProblem(await login(i % 2 ? a! : b!, address, email('spray'), 'Winter2026!'), 401);
    for (const service of [a!, b!]) {
      const refused = await login(service, address, user.email, PASSWORD);
      expectProblem(refused, 429);
      expectRetryAfter(refused, 900);
    }
  });
});

describe('a Redis outage', () => {
  const prefix = uniquePrefix();
  let redis: RedisServer | undefined;
  let service: Service | undefined;

  beforeAll(async () => {
    redis = await RedisServer.start();
    service = await startService(mainJs!, { DATABASE_URL: database!.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix });
  });

  afterAll(async () => {
    await service?.process.kill();
    await redis?.stop();
  });

  it('answers login 503 with Retry-After, and only login; the process stays up and logs in again once Redis is back', async () => {
    const user = await register(service!);
    expect((await login(service!, '127.0.0.1', user.email, PASSWORD)).status).toBe(200);

    await redis!.stop();
    const started = Date.now();
    const refused = await login(service!, '127.0.0.1', user.email, PASSWORD);
    expect(Date.now() - started).toBeLessThan(2500);
    expectProblem(refused, 503);
    expectRetryAfter(refused, 60);
    expect(refused.body).not.toHaveProperty('accessToken');
    // a wrong password is no different: nothing is checked without a reserved attempt
    expectProblem(await login(service!, '127.0.0.1', user.email, 'wrong'), 503);

    // every other route works
    expect((await httpJson('GET', `${service!.baseUrl}/health/live`)).status).toBe(200);
    const other = await register(service!);
    const auth = { authorization: `Bearer ${other.token}` };
    expect((await httpJson('GET', `${service!.baseUrl}/tasks`, undefined, auth)).status).toBe(200);
    expect((await httpJson('POST', `${service!.baseUrl}/tasks`, { title: 'while Redis is down' }, auth)).status).toBe(201);
    expect((await httpJson('GET', `${service!.baseUrl}/users/me`, undefined, auth)).status).toBe(200);
    await sleep(3000); // ioredis keeps reconnecting meanwhile
    expect(service!.process.exit).toBeUndefined();

    await redis!.restart();
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await login(service!, '127.0.0.1', user.email, PASSWORD)).status;
      if (status === 200) break;
      await sleep(250);
    }
    expect(status).toBe(200);
  });

  it('stops promptly on SIGTERM while Redis is down', async () => {
    await redis!.stop();
    expectProblem(await login(service!, '127.0.0.1', email('nobody'), PASSWORD), 503);
    service!.process.signal('SIGTERM');
    const exit = await service!.process.waitForExit(10_000);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
