/**
 * The soak: a steady mixed load on the built service (dist/) against a PostgreSQL 15 of its own, with one
 * database restart per minute (alternately fast and immediate shutdown). At the end every acknowledged write is
 * checked through the API, and the figures are printed (and written as JSON). Not part of `npm run test:faults`:
 *
 *   npm run soak                          # 10 minutes (not in CI)
 *   SOAK_DURATION_S=90 npm run soak       # a short run
 *
 * Settings (env): SOAK_DURATION_S (600), SOAK_RESTART_EVERY_S (60), SOAK_WORKERS (8), SOAK_PAUSE_MS (5, between
 * a worker's requests), SOAK_OUT (JSON report path; default test/.tmp/soak-<time>.json),
 * SOAK_UPDATE_DOC=1 (write the figures into docs/reliability.md between its soak markers).
 */
import http from 'node:http';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Resources } from './support/fixture';
import { registerUser, request, type TestUser } from './support/http';
import { SoakStats, verify, worker } from './support/soak-load';
import { buildReport, markdown, updateDoc, type Restart } from './support/soak-report';
import { REPO_ROOT, sleep } from './support/util';

const DURATION_S = Number(process.env.SOAK_DURATION_S ?? 600);
const RESTART_EVERY_S = Number(process.env.SOAK_RESTART_EVERY_S ?? 60);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 8);
const PAUSE_MS = Number(process.env.SOAK_PAUSE_MS ?? 5);

describe('soak', () => {
  const res = new Resources();
  afterAll(() => res.teardown());

  it('loses, duplicates and half-writes no acknowledged write, answers no 500, never hangs, and stays up through database restarts', async () => {
    const pg = await res.pg({ name: 'soak' });
    const service = await res.service({ name: 'soak', env: { DATABASE_URL: pg.appUrl(), LOG_LEVEL: 'warn' } });
    const base = service.baseUrl;
    const stats = new SoakStats();
    const restarts: Restart[] = [];
    const users: TestUser[] = [];
    for (let w = 0; w < WORKERS; w++) users.push(await registerUser(base, `soak-${w}`));
    const agent = new http.Agent({ keepAlive: true, maxSockets: WORKERS * 2 });
    // warm up, then take the starting memory figure
    await Promise.all(users.map((u) => request(base, 'GET', '/tasks', { token: u.token, agent, timeoutMs: 10_000 })));
    const rssStartKb = await service.rssKb();
    const startedAt = Date.now();
    const stopAt = startedAt + DURATION_S * 1000;
    process.stdout.write(`[soak] ${DURATION_S} s, ${WORKERS} workers, a database restart every ${RESTART_EVERY_S} s; service RSS ${rssStartKb} kB\n`);

    let rssMaxKb = rssStartKb;
    const restarter = (async () => {
      for (let i = 1; startedAt + i * RESTART_EVERY_S * 1000 < stopAt - 5000; i++) {
        await sleep(startedAt + i * RESTART_EVERY_S * 1000 - Date.now());
        const mode = i % 2 ? 'fast' : 'immediate';
        const at = Date.now();
        await pg.restart(mode);
        let unavailableMs = -1;
        while (Date.now() < stopAt) {
          const r = await request(base, 'GET', '/health/ready', { timeoutMs: 5000 });
          if (r.status === 200) {
            unavailableMs = Date.now() - at;
            break;
          }
          await sleep(100);
        }
        restarts.push({ at: Math.round((at - startedAt) / 1000), mode, unavailableMs });
        rssMaxKb = Math.max(rssMaxKb, await service.rssKb());
        process.stdout.write(`[soak] t=${Math.round((Date.now() - startedAt) / 1000)} s restart ${i} (${mode}): ready again after ${unavailableMs} ms; ${stats.requests} requests so far ${JSON.stringify(stats.byStatus)}; RSS ${await service.rssKb()} kB\n`);
      }
    })();
    const tracked = await Promise.all(users.map((user, w) => worker(w, stats, { base, user, stopAt, agent, pauseMs: PAUSE_MS })));
    await restarter;
    const elapsedS = (Date.now() - startedAt) / 1000;
    const rssEndKb = await service.rssKb();
    rssMaxKb = Math.max(rssMaxKb, rssEndKb);
    agent.destroy();

    let checked = 0;
    for (let w = 0; w < WORKERS; w++) checked += await verify(stats, base, users[w], tracked[w]);
    const alive = service.running;

    const report = buildReport(stats, { elapsedS, workers: WORKERS, restarts, checked, rssStartKb, rssEndKb, rssMaxKb, alive });
    const out = process.env.SOAK_OUT ?? path.join(REPO_ROOT, 'test', '.tmp', `soak-${Date.now()}.json`);
    await fs.mkdir(path.dirname(out), { recursive: true });
    await fs.writeFile(out, JSON.stringify(report, null, 2));
    const table = markdown(report);
    process.stdout.write(`\n${table}\n[soak] JSON report: ${out}\n`);
    if (process.env.SOAK_UPDATE_DOC === '1') await updateDoc(table);

    expect(stats.violations).toEqual([]);
    expect(alive).toBe(true);
    expect(stats.overBudget).toBe(0);
  }, (DURATION_S + 600) * 1000);
});
