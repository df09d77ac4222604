/**
 * `npm run bench`: the task service against a raw reference (bench/reference/server.ts), side by side, on the
 * same PostgreSQL and data. See docs/performance.md (written by this script) for the method.
 *
 * Environment (defaults in brackets; BENCH_QUICK=1 gives a smoke run: 2-second runs, tiny data, no soak, about a minute on an idle machine):
 *   BENCH_DATABASE_URL   a PostgreSQL server to use [an embedded one started under .data/bench/pg];
 *                        the bench creates (and afterwards drops) the database BENCH_DB_NAME [task_bench] on it
 *   BENCH_ROUNDS [4]     rounds of the 10k-task scenarios, servers alternating and started fresh each round
 *   BENCH_LARGE_ROUNDS   rounds of the large-table list [BENCH_ROUNDS]
 *   BENCH_DURATION [10]  seconds per scenario run
 *   BENCH_WARMUP [5]     seconds of mixed load after each start, repeated (up to BENCH_WARMUP_MAX [60] s) until
 *                        BENCH_WARMUP_REQUESTS [5000] responses, so that a slow server is measured with its JIT warm too
 *   BENCH_CONNECTIONS [50]
 *   BENCH_USERS [50], BENCH_TASKS_PER_USER [200]   registered and seeded through the API
 *   BENCH_LARGE_USERS [1000], BENCH_LARGE_TASKS [1000000]   seeded with SQL for the large-table run
 *   BENCH_SOAK_SECONDS [300]  mixed load on the service, RSS sampled (0 skips it)
 *   BENCH_SERVERS [service,reference]   BENCH_BUILD=1 rebuilds the service even when dist/ exists
 *   BENCH_OUT_DIR [docs; bench/results when quick]   BENCH_KEEP_DB=1 keeps the database afterwards
 *   BENCH_SCENARIOS      a subset of list,get,create,patch,mixed for the 10k-task rounds [all]
 *   BENCH_REFERENCE_PREPARED=1  the reference prepares its statements too (by default it sends them unnamed)
 *   BENCH_NODE_ARGS      extra node flags for both servers, e.g. "--cpu-prof --cpu-prof-dir=.data/bench/profiles"
 *   BENCH_LOG_STATEMENTS=1  PostgreSQL logs every statement of the bench database (to count round trips per request:
 *                        see server.log in the data folder); it slows everything down, so not for measuring
 *   BENCH_RLS_BYPASS=1   the service connects as the superuser, which row-level security does not hold (the layer
 *                        off); by default it connects as an ordinary role that owns the database (the layer in force)
 *   BENCH_SCHEMA_SQL     a SQL file applied to the fresh database first (only for runs without the service,
 *                        which otherwise creates the schema with its migrations)
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Request } from 'autocannon';
import { cfg, count, freePort, largeRounds, log, num, QUICK, ROOT } from './lib/config';
import { Database, openDatabase } from './lib/database';
import { runLoad } from './lib/load';
import { report } from './lib/performance-doc';
import { killAll, RunningServer, rssMiB } from './lib/proc';
import { figures, fmt, ScenarioResults } from './lib/report';
import { Kind, requests, resetTable, WRITES } from './lib/scenarios';
import { BenchUser, seedLarge, seedThroughApi } from './lib/seed';
import { prepareServers, start } from './lib/servers';
import { percentile } from './lib/stats';
import type { SoakResult } from './lib/targets';

const env = process.env;

async function main(): Promise<void> {
  const started = new Date();
  cfg.pgPort = env.BENCH_PG_PORT ? num('BENCH_PG_PORT', 0, 0) : await freePort(54339);
  cfg.port = env.BENCH_PORT ? num('BENCH_PORT', 0, 0) : await freePort(3100);
  log(`${QUICK ? 'QUICK smoke run' : 'full run'}: ${JSON.stringify({ ...cfg, largeRounds, outDir: path.relative(ROOT, cfg.outDir) })}`);
  const db = await openDatabase();
  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= (async () => {
    killAll();
    await db.teardown().catch((e) => log(`teardown: ${e.message}`));
  })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  try {
    await bench(db, started);
  } finally {
    await cleanup();
  }
}

async function bench(db: Database, started: Date): Promise<void> {
  const specs = await prepareServers(db);
  const servers = cfg.servers;
  const order = (round: number) => (round % 2 === 1 ? servers : [...servers].reverse());
  const smallLabel = count(cfg.users * cfg.tasksPerUser);
  const largeLabel = count(cfg.largeTasks);

  // seed through the API of the first server (the service migrates the fresh database on this first start)
  const seeder = await start(specs[servers[0]], 'first start: fresh database, migrations');
  const users = await seedThroughApi(seeder.baseUrl).finally(() => seeder.stop());
  const { rows: [{ until }] } = await db.pool.query<{ until: Date }>('SELECT max(created_at) AS until FROM tasks');
  await db.pool.query('VACUUM (ANALYZE) tasks');

  const results = new Map<string, ScenarioResults>();
  const record = (scenario: string, server: string, round: number, r: Awaited<ReturnType<typeof runLoad>>) => {
    const s = results.get(scenario) ?? { scenario, rounds: {}, samples: {} };
    results.set(scenario, s);
    (s.rounds[server] ??= []).push(figures(round, r));
    (s.samples[server] ??= []).push(r.latencies);
    const f = s.rounds[server][s.rounds[server].length - 1];
    log(`  ${scenario.padEnd(16)} ${server.padEnd(9)} ${fmt(f.rps).padStart(6)} req/s  p50 ${fmt(f.p50)} ms  p99 ${fmt(f.p99)} ms  `
      + `cpu ${fmt(f.cpuPerRequest)} ms/req${f.non2xx + f.errors ? `  NON-2XX ${f.non2xx} ${JSON.stringify(f.statuses)} errors ${f.errors}` : ''}`
      + (f.requests === 0 ? '  NO RESPONSE AT ALL during the run (overloaded or hung?)' : ''));
  };
  const load = async (server: RunningServer, seconds: number, next: () => Request, tick?: (t: number) => void) => {
    const result = await runLoad({ baseUrl: server.baseUrl, pid: server.pid, connections: cfg.connections, seconds, next, tick, measureDb: db.local });
    await sleep(QUICK ? 200 : 1000); // requests still queued in the server finish outside the next measurement
    return result;
  };
  const warmUp = async (server: RunningServer, next: () => Request) => {
    const t0 = performance.now();
    let done = 0;
    do {
      done += (await load(server, cfg.warmup, next)).requests;
    } while (done < cfg.warmupRequests && performance.now() - t0 < cfg.warmupMax * 1000);
  };

  // the small table: every scenario, servers alternating, each started fresh per round
  const scenarios = (env.BENCH_SCENARIOS ?? 'list,get,create,patch,mixed').split(',').map((s) => s.trim()) as Kind[];
  if (scenarios.some((k) => !(k in requests))) throw new Error('BENCH_SCENARIOS lists list, get, create, patch and/or mixed');
  for (let round = 1; round <= cfg.rounds; round++) {
    for (const name of order(round)) {
      log(`round ${round}/${cfg.rounds}, ${name}, ${smallLabel} tasks`);
      const server = await start(specs[name]);
      try {
        if (cfg.warmup > 0) {
          await warmUp(server, () => requests.mixed(users));
          await resetTable(db, users, until);
        }
        for (const kind of scenarios) {
          record(`${kind} @${smallLabel}`, name, round, await load(server, cfg.duration, () => requests[kind](users)));
          if (WRITES.includes(kind)) await resetTable(db, users, until);
        }
      } finally {
        await server.stop();
      }
    }
  }

  // the large table: the same users' list, and the bulk users' list, once the table holds largeTasks more rows
  let bulk: BenchUser[] = [];
  if (cfg.largeTasks > 0 && largeRounds > 0) {
    bulk = await seedLarge(db);
    for (let round = 1; round <= largeRounds; round++) {
      for (const name of order(round)) {
        log(`large round ${round}/${largeRounds}, ${name}, +${largeLabel} tasks`);
        const server = await start(specs[name]);
        try {
          if (cfg.warmup > 0) await warmUp(server, () => requests.list(Math.random() < 0.5 ? users : bulk));
          record(`list @${largeLabel}`, name, round, await load(server, cfg.duration, () => requests.list(users)));
          record(`list @${largeLabel}, bulk users`, name, round, await load(server, cfg.duration, () => requests.list(bulk)));
        } finally {
          await server.stop();
        }
      }
    }
  }

  // the soak: the service's memory under a long mixed load
  let soak: SoakResult | undefined;
  if (cfg.soak > 0 && servers.includes('service')) {
    log(`soak: ${cfg.soak} s of mixed load on the service`);
    const server = await start(specs.service);
    const samples: [number, number][] = [[0, rssMiB(server.pid)]];
    try {
      const r = await load(server, cfg.soak, () => requests.mixed(users), (t) => {
        samples.push([t, rssMiB(server.pid)]);
        if (Math.round(t) % 30 === 0) log(`  soak ${Math.round(t)} s: RSS ${fmt(rssMiB(server.pid))} MiB`);
      });
      samples.push([r.seconds, rssMiB(server.pid)]);
      const s = r.latencies.sorted();
      soak = { seconds: r.seconds, samples, rps: r.rps, p50: percentile(s, 50), p99: percentile(s, 99), non2xx: r.non2xx + r.errors };
    } finally {
      await server.stop();
      await resetTable(db, users, until);
    }
  }

  const pgVersion = (await db.pool.query<{ v: string }>("select current_setting('server_version') as v")).rows[0].v;
  report({ started, results: [...results.values()], soak, pgVersion, smallLabel, largeLabel, bulkUsers: bulk.length });
}

main().catch((error: unknown) => {
  console.error(`[bench] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
