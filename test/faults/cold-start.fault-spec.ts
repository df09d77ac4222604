/**
 * The service starts while the database is still down. Brought up a few seconds later, the
 * service becomes ready on its own within the configured deadline; past the deadline it exits non-zero with
 * one clear line.
 */
import { Resources } from './support/fixture';
import { request, registerUser } from './support/http';
import type { PgInstance } from './support/pg-instance';
import { sleep } from './support/util';

describe('cold start with the database down', () => {
  const res = new Resources();
  let pg: PgInstance;

  beforeAll(async () => {
    pg = await res.pg({ name: 'cold' });
    await pg.stop('fast');
  });
  afterAll(() => res.teardown());

  it('waits for the database and becomes ready on its own within DATABASE_STARTUP_TIMEOUT_MS', async () => {
    const deadlineMs = 30_000;
    const service = await res.spawnService({
      name: 'cold-start',
      env: { DATABASE_URL: pg.appUrl(), DATABASE_STARTUP_TIMEOUT_MS: String(deadlineMs) },
    });
    await sleep(5000);
    expect(service.running).toBe(true); // still waiting, not given up
    await pg.start();
    const dbUpAt = Date.now();
    const readyAt = await service.waitReady(deadlineMs);
    process.stdout.write(`[faults] cold start: ready ${readyAt - dbUpAt} ms after the database came up (${readyAt - service.startedAt} ms after spawn)\n`);
    expect(readyAt - service.startedAt).toBeLessThanOrEqual(deadlineMs);
    // backoff is capped at 5 s: ready within one capped interval (plus migrations) of the database's return
    expect(readyAt - dbUpAt).toBeLessThanOrEqual(10_000);
    // the migrations were applied: the API works end to end
    const user = await registerUser(service.baseUrl, 'cold');
    const created = await request(service.baseUrl, 'POST', '/tasks', { token: user.token, body: { title: 'after a cold start' }, timeoutMs: 10_000 });
    expect(created.status).toBe(201);
    expect((await service.stop()).code).toBe(0);
  });

  it('past the deadline exits non-zero with one line on stderr', async () => {
    await pg.stop('fast');
    const deadlineMs = 6000;
    const service = await res.spawnService({
      name: 'cold-start-deadline',
      env: { DATABASE_URL: pg.appUrl(), DATABASE_STARTUP_TIMEOUT_MS: String(deadlineMs) },
    });
    const exit = await service.waitExit(deadlineMs + 15_000);
    expect(exit).toBeDefined();
    const elapsed = exit!.at - service.startedAt;
    process.stdout.write(`[faults] cold start past the deadline: exit ${exit!.code} after ${elapsed} ms; stderr: ${service.stderr.trim()}\n`);
    expect(exit!.code).not.toBe(0);
    expect(exit!.code).not.toBeNull(); // exited by itself, not killed by a signal
    // it did keep trying until the deadline, and gave up soon after it (one connect timeout, 3 s, of slack).
    // The deadline runs from when it starts waiting, after Node and Nest have booted (seconds on a busy
    // machine): its own "Waiting for the database" log line tells when that was, else the spawn time.
    const waitingSince = waitingLogTime(service.stdout) ?? service.startedAt;
    process.stdout.write(`[faults] ... gave up ${exit!.at - waitingSince} ms after it started waiting\n`);
    expect(elapsed).toBeGreaterThanOrEqual(deadlineMs - 500);
    expect(exit!.at - waitingSince).toBeLessThanOrEqual(deadlineMs + 5000);
    const lines = service.stderrLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/database|postgres/i);
    expect(lines[0]).not.toContain(pg.appPassword);
  });
});

/** The pino timestamp of the service's first "Waiting for the database" line, if it logged one. */
function waitingLogTime(stdout: string): number | undefined {
  for (const line of stdout.split('\n')) {
    if (!line.includes('Waiting for the database')) continue;
    try {
      const time = JSON.parse(line).time;
      if (typeof time === 'number') return time;
    } catch {
      /* not JSON */
    }
  }
  return undefined;
}
