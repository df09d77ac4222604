/**
 * Issue 5, item 11: the soak. A steady mixed load on the built service (dist/) against a PostgreSQL 15 of its
 * own, with one database restart per minute (alternately fast and immediate shutdown). At the end every
 * acknowledged write is checked through the API, and the figures are printed (and written as JSON).
 *
 *   npm run soak                          # 10 minutes (not in CI)
 *   SOAK_DURATION_S=90 npm run soak       # a short run
 *
 * Load: 35 % create, 25 % update, 10 % delete, 15 % list, 12 % get, 3 % rename (PATCH /users/me).
 *
 * Settings (env): SOAK_DURATION_S (600), SOAK_RESTART_EVERY_S (60), SOAK_WORKERS (8), SOAK_PAUSE_MS (5, between
 * a worker's requests), SOAK_OUT (JSON report path; default test/.tmp/soak-<time>.json),
 * SOAK_UPDATE_DOC=1 (write the figures into docs/reliability.md between its soak markers).
 */
import http from 'node:http';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import globalSetup from '../test/faults/support/global-setup';
import { isRetryable503, request, registerUser, type HttpResult, type TaskJson, type TestUser } from '../test/faults/support/http';
import { PgInstance } from '../test/faults/support/pg-instance';
import { ServiceProcess } from '../test/faults/support/service';
import { REPO_ROOT, sleep } from '../test/faults/support/util';

const DURATION_S = Number(process.env.SOAK_DURATION_S ?? 600);
const RESTART_EVERY_S = Number(process.env.SOAK_RESTART_EVERY_S ?? 60);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 8);
const PAUSE_MS = Number(process.env.SOAK_PAUSE_MS ?? 5);
const MAX_LIVE_TASKS = 40;
const BUDGET_MS = 5000;

interface TaskState {
  title: string;
  description: string;
  completed: boolean;
}

/** What a worker knows of one of its tasks: the last acknowledged state, and states that may have been applied. */
interface Tracked {
  id?: string; // unknown for a create whose answer was lost
  acked: TaskState | null; // null: its create was not acknowledged
  possible: TaskState[]; // failed writes after the last acknowledged one
  deleted: 'no' | 'acked' | 'maybe';
}

const stats = {
  requests: 0,
  byStatus: {} as Record<string, number>,
  byOp: {} as Record<string, number>,
  over_budget: 0,
  latencies: [] as number[],
  violations: [] as string[],
  acked: { creates: 0, updates: 0, deletes: 0 },
  failedWrites: 0,
};

function count(op: string, r: HttpResult): HttpResult {
  stats.requests++;
  const key = r.status ? String(r.status) : `net:${r.error}`;
  stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
  stats.byOp[op] = (stats.byOp[op] ?? 0) + 1;
  stats.latencies.push(r.ms);
  if (r.ms > BUDGET_MS) stats.over_budget++;
  if (r.status >= 500 && !isRetryable503(r)) stats.violations.push(`${op}: ${r.status} ${r.text.slice(0, 200)}`);
  if (r.status === 0) stats.violations.push(`${op}: no answer (${r.error}) after ${r.ms} ms`);
  return r;
}

const same = (a: TaskState, b: { title: string; description: string | null; completed: boolean }) =>
  a.title === b.title && a.description === b.description && a.completed === b.completed;

async function worker(w: number, base: string, user: TestUser, stopAt: number, agent: http.Agent): Promise<Tracked[]> {
  const tasks: Tracked[] = [];
  const opts = { token: user.token, agent, timeoutMs: 20_000 };
  for (let n = 0; Date.now() < stopAt; n++) {
    const live = tasks.filter((t) => t.id && t.acked && t.deleted === 'no');
    const roll = Math.random();
    if (live.length === 0 || (roll < 0.35 && live.length < MAX_LIVE_TASKS)) {
      const state: TaskState = { title: `soak-${w}-${n}`, description: `d-${w}-${n}`, completed: false };
      const r = count('create', await request(base, 'POST', '/tasks', { ...opts, body: state }));
      if (r.status === 201) {
        tasks.push({ id: r.body.id, acked: state, possible: [], deleted: 'no' });
        stats.acked.creates++;
      } else {
        tasks.push({ acked: null, possible: [state], deleted: 'no' });
        stats.failedWrites++;
      }
    } else if (roll < 0.6) {
      const t = live[Math.floor(Math.random() * live.length)];
      const state: TaskState = { title: `soak-${w}-${n}-u`, description: `d-${w}-${n}-u`, completed: n % 2 === 0 };
      const r = count('update', await request(base, 'PATCH', `/tasks/${t.id}`, { ...opts, body: state }));
      if (r.status === 200) {
        t.acked = state;
        t.possible = [];
        stats.acked.updates++;
      } else {
        t.possible.push(state);
        stats.failedWrites++;
      }
    } else if (roll < 0.7 || live.length >= MAX_LIVE_TASKS) {
      const t = live[Math.floor(Math.random() * live.length)];
      const r = count('delete', await request(base, 'DELETE', `/tasks/${t.id}`, opts));
      if (r.status === 204) {
        t.deleted = 'acked';
        stats.acked.deletes++;
      } else {
        t.deleted = 'maybe';
        stats.failedWrites++;
      }
    } else if (roll >= 0.97) {
      // the account's own write (a flush: BEGIN ... COMMIT), checked like the others by its answer
      count('rename', await request(base, 'PATCH', '/users/me', { ...opts, body: { name: `w${w}-${n}` } }));
    } else if (roll < 0.85) {
      count('list', await request(base, 'GET', '/tasks?limit=20', opts));
    } else {
      const t = live[Math.floor(Math.random() * live.length)];
      const r = count('get', await request(base, 'GET', `/tasks/${t.id}`, opts));
      // a read of a task whose last write was acknowledged must see that write (or a later, unacknowledged one)
      if (r.status === 200 && t.acked && ![t.acked, ...t.possible].some((s) => same(s, r.body))) {
        stats.violations.push(`read of ${t.id} saw ${JSON.stringify(r.body)} (acknowledged: ${JSON.stringify(t.acked)})`);
      }
      if (r.status === 404 && t.deleted === 'no') stats.violations.push(`read of ${t.id}: 404, never deleted`);
    }
    if (PAUSE_MS) await sleep(PAUSE_MS);
  }
  return tasks;
}

/** Every acknowledged write is in the database as acknowledged (or overwritten by a later unacknowledged one). */
async function verify(base: string, user: TestUser, tasks: Tracked[]): Promise<number> {
  const all: TaskJson[] = [];
  for (let cursor: string | null = null, page = 0; page < 1000; page++) {
    const r: HttpResult = await request(base, 'GET', `/tasks?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: user.token, timeoutMs: 20_000 });
    if (r.status !== 200) throw new Error(`verification list: ${r.status} ${r.text}`);
    all.push(...r.body.items);
    cursor = r.body.nextCursor;
    if (!cursor) break;
  }
  const byId = new Map(all.map((t) => [t.id, t]));
  let checked = 0;
  const claimed = new Set<string>();
  for (const t of tasks) {
    if (t.id) {
      claimed.add(t.id);
      const row = byId.get(t.id);
      checked++;
      if (t.deleted === 'acked' && row) stats.violations.push(`task ${t.id}: deleted (204) but still there`);
      if (t.deleted === 'no' && !row) stats.violations.push(`task ${t.id}: acknowledged, never deleted, missing`);
      if (row && t.acked && ![t.acked, ...t.possible].some((s) => same(s, row))) {
        stats.violations.push(`task ${t.id}: ${JSON.stringify(row)} is none of the acknowledged/attempted states`);
      }
    }
  }
  // rows not acknowledged as created must come from an unacknowledged create, once at most, and be whole
  const unacked = new Map(tasks.filter((t) => !t.id).map((t) => [t.possible[0].title, t.possible[0]]));
  const seen = new Set<string>();
  for (const row of all) {
    if (claimed.has(row.id)) continue;
    const state = unacked.get(row.title);
    if (!state) stats.violations.push(`task ${row.id} (${row.title}) was never created by this client`);
    else if (seen.has(row.title)) stats.violations.push(`unacknowledged create ${row.title} applied twice`);
    else if (row.description !== state.description) stats.violations.push(`task ${row.id} half-written: ${JSON.stringify(row)}`);
    seen.add(row.title);
  }
  return checked;
}

function buildReport(f: {
  elapsedS: number;
  restarts: { at: number; mode: string; unavailableMs: number }[];
  checked: number;
  rssStartKb: number;
  rssEndKb: number;
  rssMaxKb: number;
  alive: boolean;
}) {
  const { elapsedS, restarts, checked, rssStartKb, rssEndKb, rssMaxKb, alive } = f;
  return {
    durationS: Math.round(elapsedS),
    workers: WORKERS,
    restarts,
    requests: stats.requests,
    requestsPerSecond: Math.round(stats.requests / elapsedS),
    byStatus: stats.byStatus,
    byOperation: stats.byOp,
    latencyMs: { p50: percentile(stats.latencies, 50), p99: percentile(stats.latencies, 99), max: Math.max(...stats.latencies) },
    overBudget: stats.over_budget,
    acknowledgedWrites: stats.acked,
    unacknowledgedWrites: stats.failedWrites,
    tasksChecked: checked,
    violations: stats.violations.length,
    violationSamples: stats.violations.slice(0, 20),
    memoryKb: { rssStart: rssStartKb, rssEnd: rssEndKb, rssMax: rssMaxKb },
    processAlive: alive,
    nodeVersion: process.version,
    when: new Date().toISOString(),
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  await globalSetup();
  const pg = new PgInstance({ name: 'soak' });
  let service: ServiceProcess | undefined;
  const restarts: { at: number; mode: string; unavailableMs: number }[] = [];
  try {
    await pg.init();
    await pg.start();
    await pg.createAppDatabase();
    service = await ServiceProcess.start({ name: 'soak', env: { DATABASE_URL: pg.appUrl(), LOG_LEVEL: 'warn' } });
    const base = service.baseUrl;
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
        rssMaxKb = Math.max(rssMaxKb, await service!.rssKb());
        process.stdout.write(`[soak] t=${Math.round((Date.now() - startedAt) / 1000)} s restart ${i} (${mode}): ready again after ${unavailableMs} ms; ${stats.requests} requests so far ${JSON.stringify(stats.byStatus)}; RSS ${await service!.rssKb()} kB\n`);
      }
    })();
    const tracked = await Promise.all(users.map((u, w) => worker(w, base, u, stopAt, agent)));
    await restarter;
    const elapsedS = (Date.now() - startedAt) / 1000;
    const rssEndKb = await service.rssKb();
    rssMaxKb = Math.max(rssMaxKb, rssEndKb);
    agent.destroy();

    let checked = 0;
    for (let w = 0; w < WORKERS; w++) checked += await verify(base, users[w], tracked[w]);
    const alive = service.running;

    const report = buildReport({ elapsedS, restarts, checked, rssStartKb, rssEndKb, rssMaxKb, alive });
    const out = process.env.SOAK_OUT ?? path.join(REPO_ROOT, 'test', '.tmp', `soak-${Date.now()}.json`);
    await fs.mkdir(path.dirname(out), { recursive: true });
    await fs.writeFile(out, JSON.stringify(report, null, 2));
    const table = markdown(report);
    process.stdout.write(`\n${table}\n[soak] JSON report: ${out}\n`);
    if (process.env.SOAK_UPDATE_DOC === '1') await updateDoc(table);
    process.exitCode = report.violations === 0 && alive && stats.over_budget === 0 ? 0 : 1;
  } finally {
    await service?.stop(10_000);
    await pg.destroy();
  }
}

type SoakReport = ReturnType<typeof buildReport>;

function markdown(r: SoakReport): string {
  const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`;
  const rows: [string, string][] = [
    ['run', `${r.durationS} s, ${r.workers} workers, ${r.when.slice(0, 10)}, Node ${r.nodeVersion}`],
    ['database restarts', `${r.restarts.length} (${r.restarts.map((x) => `${x.mode} at ${x.at} s: ready after ${x.unavailableMs} ms`).join('; ')})`],
    ['requests served', `${r.requests} (${r.requestsPerSecond}/s)`],
    ['answers by status', Object.entries(r.byStatus).map(([k, v]) => `${k}: ${v}`).join(', ')],
    ['latency', `p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms; over the 5 s budget: ${r.overBudget}`],
    ['acknowledged writes checked', `${r.acknowledgedWrites.creates} creates, ${r.acknowledgedWrites.updates} updates, ${r.acknowledgedWrites.deletes} deletes (${r.tasksChecked} tasks checked); unacknowledged writes: ${r.unacknowledgedWrites}`],
    ['violations (lost/duplicated/half-written writes, 500s, hangs)', String(r.violations)],
    ['service memory (RSS)', `start ${mb(r.memoryKb.rssStart)}, end ${mb(r.memoryKb.rssEnd)}, max ${mb(r.memoryKb.rssMax)}`],
    ['process', r.processAlive ? 'up throughout (same PID)' : 'DIED'],
  ];
  return ['| figure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}

async function updateDoc(table: string): Promise<void> {
  const doc = path.join(REPO_ROOT, 'docs', 'reliability.md');
  const text = await fs.readFile(doc, 'utf8');
  const start = '<!-- soak:start -->';
  const end = '<!-- soak:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${doc} has no ${start} ... ${end} section`);
  await fs.writeFile(doc, `${text.slice(0, i + start.length)}\n${table}\n${text.slice(j)}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[soak] ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
