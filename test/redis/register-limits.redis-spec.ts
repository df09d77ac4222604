/**
 * The per-address registration limit on a real Redis: one count for two processes of the built service, and
 * registrations going on (counted by each process meanwhile) while Redis is down. TRUST_PROXY=loopback lets each
 * test be its own client address.
 */
import { httpJson, type JsonResponse } from '../support/built-server';
import { expectProblem } from '../support/problem-assertions';
import { uniqueEmail } from '../support/unique-email';
import { clientAddress, deleteKeys, REDIS_URL, startService, uniquePrefix, useBuildAndDatabase, useOwnRedis, type Service } from './support';

const MAX = 4;
const PASSWORD = 'correct horse battery';

const files = useBuildAndDatabase();
const nextAddress = () => clientAddress('198.51.100');

function register(service: Service, address: string, emailAddress = uniqueEmail('user')): Promise<JsonResponse> {
  return httpJson('POST', `${service.baseUrl}/auth/register`, { email: emailAddress, password: PASSWORD }, { 'x-forwarded-for': address });
}

function expectRefused(res: JsonResponse): void {
  expectProblem(res, 429);
  const seconds = Number(res.headers['retry-after']);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(3600);
}

const env = () => ({
  DATABASE_URL: files.url,
  TRUST_PROXY: 'loopback',
  REGISTER_IP_MAX: String(MAX),
});

describe('two service processes sharing one Redis', () => {
  const prefix = uniquePrefix();
  let a: Service | undefined;
  let b: Service | undefined;

  beforeAll(async () => {
    a = await startService(files.mainJs, { ...env(), REDIS_URL, REDIS_KEY_PREFIX: prefix }); // migrates the database first
    b = await startService(files.mainJs, { ...env(), REDIS_URL, REDIS_KEY_PREFIX: prefix });
  });

  afterAll(async () => {
    await Promise.all([a?.process.kill(), b?.process.kill()]);
    await deleteKeys(prefix);
  });

  it(`counts one address's registrations on both: of 12 at once, spread over both, exactly ${MAX} are 201`, async () => {
    const address = nextAddress();
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => register(i % 2 ? a! : b!, address)));
    expect(answers.map((res) => res.status).sort()).toEqual([...Array(MAX).fill(201), ...Array(12 - MAX).fill(429)]);
    for (const res of answers.filter((r) => r.status === 429)) expectRefused(res);
    for (const service of [a!, b!]) expectRefused(await register(service, address));
    // another address is not affected
    expect((await register(a!, nextAddress())).status).toBe(201);
  });
});

describe('a Redis outage', () => {
  const own = useOwnRedis(files, { TRUST_PROXY: 'loopback', REGISTER_IP_MAX: String(MAX) });

  it('does not stop registrations: the process counts them itself meanwhile, still refusing past the limit', async () => {
    await own.redis.stop();
    const address = nextAddress();
    const started = Date.now();
    for (let i = 0; i < MAX; i++) expect((await register(own.service, address)).status).toBe(201);
    expectRefused(await register(own.service, address));
    expect(Date.now() - started).toBeLessThan(30_000); // no Redis timeout per registration
    expect(own.service.process.exit).toBeUndefined();
  });
});
