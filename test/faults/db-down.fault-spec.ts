/**
 * PostgreSQL is stopped while requests are running. Each request answers 503 with
 * Retry-After within 5 s (no hang), /health/ready is 503, /health/live is 200, the process stays up; once
 * PostgreSQL is started again, requests succeed without restarting the service.
 */
import { contractViolations, Load, Resources, summarize } from './support/fixture';
import { isRetryable503, request, registerUser, type TestUser } from './support/http';
import type { PgInstance } from './support/pg-instance';
import type { ServiceProcess } from './support/service';
import { sleep } from './support/util';

const BUDGET_MS = 5000;

describe('database down under load', () => {
  const res = new Resources();
  let pg: PgInstance;
  let service: ServiceProcess;
  let users: TestUser[];

  beforeAll(async () => {
    pg = await res.pg({ name: 'down' });
    service = await res.service({ name: 'db-down', env: { DATABASE_URL: pg.appUrl() } });
    users = await Promise.all(['down-a', 'down-b', 'down-c'].map((l) => registerUser(service.baseUrl, l)));
  });
  afterAll(() => res.teardown());

  for (const mode of ['fast', 'immediate'] as const) {
    it(`stop (${mode}) during load: 503 + Retry-After within ${BUDGET_MS} ms, ready 503, live 200; start: serves again`, async () => {
      const base = service.baseUrl;
      const pid = service.pid;
      const load = new Load(6, async (w, seq, record) => {
        const user = users[w % users.length];
        const opts = { token: user.token, timeoutMs: 20_000 };
        switch (seq % 3) {
          case 0:
            return record('POST /tasks', await request(base, 'POST', '/tasks', { ...opts, body: { title: `w${w}-${seq}` } }));
          case 1:
            return record('GET /tasks', await request(base, 'GET', '/tasks?limit=10', opts));
          default:
            return record('GET /users/me', await request(base, 'GET', '/users/me', opts));
        }
      }, 20);

      await sleep(1500);
      await pg.stop(mode);
      const downAt = Date.now();
      await sleep(1000);
      const health: { ready: number[]; live: number[]; readyMs: number[] } = { ready: [], live: [], readyMs: [] };
      for (let i = 0; i < 4; i++) {
        const [ready, live] = await Promise.all([
          request(base, 'GET', '/health/ready', { timeoutMs: 20_000 }),
          request(base, 'GET', '/health/live', { timeoutMs: 20_000 }),
        ]);
        health.ready.push(ready.status);
        health.readyMs.push(ready.ms);
        health.live.push(live.status);
        await sleep(500);
      }
      await sleep(Math.max(0, 5000 - (Date.now() - downAt)));
      // PostgreSQL accepts connections before pg_ctl start returns: "while down" ends when the start begins
      const startingAt = Date.now();
      await pg.start();
      const upAt = Date.now();

      // recovery without a restart: wait until a full round of every operation succeeds
      let recoveredAt = 0;
      while (Date.now() - upAt < 15_000) {
        const probe = await Promise.all(users.map((u) => request(base, 'POST', '/tasks', { token: u.token, body: { title: 'probe' }, timeoutMs: 20_000 })));
        if (probe.every((r) => r.status === 201)) {
          recoveredAt = Date.now();
          break;
        }
        await sleep(250);
      }
      await sleep(1000);
      const results = await load.stop();

      const during = results.filter((r) => r.startedAt >= downAt + 200 && r.endedAt <= startingAt);
      const afterRecovery = results.filter((r) => recoveredAt && r.startedAt >= recoveredAt);
      process.stdout.write(
        `[faults] db down (${mode}): all ${summarize(results)}; while down ${summarize(during)}; after recovery ${summarize(afterRecovery)}; ` +
          `ready ${health.ready} (${health.readyMs} ms) live ${health.live}; recovered ${recoveredAt ? recoveredAt - upAt : 'never'} ms after start\n`,
      );

      // every answer, at any time: 2xx or 503 + Retry-After, within the budget
      expect(contractViolations(results, [200, 201], BUDGET_MS)).toEqual([]);
      // while the database was away, everything was a 503 (and there were requests then)
      expect(during.length).toBeGreaterThan(10);
      expect(during.filter((r) => !isRetryable503(r)).map((r) => `${r.op} ${r.status}`)).toEqual([]);
      expect(health.ready.every((s) => s === 503)).toBe(true);
      expect(Math.max(...health.readyMs)).toBeLessThanOrEqual(BUDGET_MS);
      expect(health.live.every((s) => s === 200)).toBe(true);
      // back without a restart
      expect(recoveredAt).toBeGreaterThan(0);
      expect(afterRecovery.length).toBeGreaterThan(0);
      expect(afterRecovery.filter((r) => r.status !== 200 && r.status !== 201).map((r) => `${r.op} ${r.status}`)).toEqual([]);
      expect(service.running).toBe(true);
      expect(service.pid).toBe(pid);
      expect((await request(base, 'GET', '/health/ready', { timeoutMs: 5000 })).status).toBe(200);
    });
  }
});
