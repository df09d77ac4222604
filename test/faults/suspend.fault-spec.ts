/**
 * Neon's compute suspends: with the service idle and its pool warm, every server connection
 * is terminated (pg_terminate_backend). The next requests succeed or, at worst, get a 503 with Retry-After
 * within 5 s; no 500, no crash; and within a few seconds every request succeeds again.
 */
import { contractViolations, Resources, summarize } from './support/fixture';
import { request, registerUser, type HttpResult, type TestUser } from './support/http';
import type { PgInstance } from './support/pg-instance';
import type { ServiceProcess } from './support/service';
import { sleep } from './support/util';

const BUDGET_MS = 5000;
const RECOVERY_MS = 5000;

describe('compute suspend: every connection terminated', () => {
  const res = new Resources();
  let pg: PgInstance;
  let service: ServiceProcess;
  let users: TestUser[];

  beforeAll(async () => {
    pg = await res.pg({ name: 'suspend' });
    service = await res.service({ name: 'suspend', env: { DATABASE_URL: pg.appUrl() } });
    users = [await registerUser(service.baseUrl, 'susp-a'), await registerUser(service.baseUrl, 'susp-b')];
  });
  afterAll(() => res.teardown());

  const ops = (i: number): Promise<HttpResult & { op: string }> => {
    const user = users[i % users.length];
    const tag = (op: string) => (r: HttpResult) => ({ ...r, op });
    switch (i % 3) {
      case 0:
        return request(service.baseUrl, 'POST', '/tasks', { token: user.token, body: { title: `t${i}` }, timeoutMs: 15_000 }).then(tag('POST /tasks'));
      case 1:
        return request(service.baseUrl, 'GET', '/tasks?limit=5', { token: user.token, timeoutMs: 15_000 }).then(tag('GET /tasks'));
      default:
        return request(service.baseUrl, 'GET', '/users/me', { token: user.token, timeoutMs: 15_000 }).then(tag('GET /users/me'));
    }
  };
  const batch = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => ops(i)));

  for (const round of [1, 2]) {
    it(`round ${round}: the next requests are 2xx or 503 + Retry-After, then all succeed within ${RECOVERY_MS} ms`, async () => {
      // warm the pool: concurrent requests open several connections, then leave the service idle
      const warm = await batch(12);
      expect(warm.filter((r) => r.status >= 300)).toEqual([]);
      await sleep(1000);
      const before = await pg.backendCount();
      expect(before).toBeGreaterThanOrEqual(1);

      const killedAt = Date.now();
      const killed = await pg.terminateBackends();
      expect(killed).toBeGreaterThanOrEqual(1);

      const first = await batch(9); // concurrent, right after the cut
      const sequential: HttpResult[] = [];
      for (let i = 0; i < 6; i++) sequential.push(await ops(i));
      const after = [...first, ...sequential];
      process.stdout.write(`[faults] suspend round ${round}: ${killed} connections cut; next: ${summarize(after)}\n`);
      expect(contractViolations(after, [200, 201], BUDGET_MS)).toEqual([]);

      // recovery: a whole concurrent batch succeeds within the deadline
      let recoveredAt = 0;
      while (Date.now() - killedAt < RECOVERY_MS + 5000) {
        const results = await batch(9);
        expect(contractViolations(results, [200, 201], BUDGET_MS)).toEqual([]);
        if (results.every((r) => r.status === 200 || r.status === 201)) {
          recoveredAt = Date.now();
          break;
        }
        await sleep(200);
      }
      expect(recoveredAt).toBeGreaterThan(0);
      expect(recoveredAt - killedAt).toBeLessThanOrEqual(RECOVERY_MS);
      expect(service.running).toBe(true);
      expect((await request(service.baseUrl, 'GET', '/health/ready', { timeoutMs: 5000 })).status).toBe(200);
    });
  }

  it('never crashed, never logged an unhandled error', () => {
    expect(service.running).toBe(true);
    expect(service.stderr + service.stdout).not.toMatch(/unhandled|uncaught/i);
  });
});
