/**
 * `npm run bench:side-by-side -- <build> <build> ...`: two or more builds of the service (each a folder holding a
 * `dist/`, e.g. a copy of dist/ with one change) measured in alternating order through HTTP, to tell whether a
 * change buys anything. Each build is started fresh per round, warmed up for 4 s, then loaded for BENCH_DURATION
 * seconds at 50 connections with one scenario; the service's CPU per request and PostgreSQL's are read from /proc.
 *
 * On this 2-core machine req/s and CPU per request drift by 15-25 % between runs of the same build (the cores are
 * shared and their speed varies). When the builds send the same SQL, the database does the same work per request
 * for each, so the service's CPU divided by the database's ("svc/db") cancels most of that drift: compare them by
 * it. A change to the SQL changes the database's share too: compare such builds by CPU per request, over rounds.
 *
 * The database is one that `npm run bench` kept: BENCH_KEEP_DB=1 BENCH_DB_NAME=task_ab
 * BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench (any short run).
 *
 * Environment: SIDE_DATABASE_URL [postgres://postgres@127.0.0.1:5432/task_ab], SIDE_SCENARIO [get; list, patch,
 * create], SIDE_ROUNDS [3], BENCH_DURATION [8], SIDE_NODE_ARGS (JSON: build folder name -> extra node flags),
 * SIDE_NODE (JSON: build folder name -> the node binary that runs it; default this one), SIDE_ENV (JSON: build folder
 * name -> environment it adds, e.g. its own DATABASE_URL: a role that row-level security holds, or a superuser).
 * A build measured twice under two names is a symlink to its folder.
 */
import path from 'node:path';
import { Request } from 'autocannon';
import { Pool } from 'pg';
import { runLoad } from './lib/load';
import { killAll, startServer } from './lib/proc';
import { percentile } from './lib/stats';
import { accessToken, BENCH_JWT } from './lib/tokens';

const env = process.env;
const DATABASE_URL = env.SIDE_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/task_ab';
const SCENARIO = env.SIDE_SCENARIO ?? 'get';
const ROUNDS = Number(env.SIDE_ROUNDS ?? 3);
const DURATION = Number(env.BENCH_DURATION ?? 8);
const NODE_ARGS = JSON.parse(env.SIDE_NODE_ARGS ?? '{}') as Record<string, string[]>;
const NODE = JSON.parse(env.SIDE_NODE ?? '{}') as Record<string, string>;
const BUILD_ENV = JSON.parse(env.SIDE_ENV ?? '{}') as Record<string, Record<string, string>>;
const SECRET = 'side-by-side-secret-side-by-side-secret';
const PORT = 3300;

interface Owner {
  token: string;
  ids: string[];
}

function requestFor(owners: Owner[], i: number): Request {
  const owner = owners[i % owners.length];
  const id = owner.ids[i % owner.ids.length];
  const auth = { authorization: `Bearer ${owner.token}` };
  const json = { ...auth, 'content-type': 'application/json' };
  switch (SCENARIO) {
    case 'list': return { method: 'GET', path: '/tasks', headers: auth };
    case 'patch': return { method: 'PATCH', path: `/tasks/${id}`, headers: json, body: JSON.stringify({ completed: i % 2 === 0 }) };
    case 'create': return { method: 'POST', path: '/tasks', headers: json, body: JSON.stringify({ title: `side by side ${i}` }) };
    default: return { method: 'GET', path: `/tasks/${id}`, headers: auth };
  }
}

async function main(): Promise<void> {
  const builds = process.argv.slice(2).map((dir) => path.resolve(dir));
  if (builds.length === 0) throw new Error('name one or more folders that hold a dist/');
  const pool = new Pool({ connectionString: DATABASE_URL });
  const { rows } = await pool.query<{ id: string; ids: string[] }>('select user_id as id, array_agg(id) as ids from tasks group by user_id limit 50');
  await pool.end();
  const owners = await Promise.all(rows.map(async (row) => ({ ids: row.ids, token: await accessToken(SECRET, row.id, '2h') })));
  const results = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const build of round % 2 ? [...builds].reverse() : builds) {
      const name = path.basename(build);
      const server = await startServer({
        name,
        command: NODE[name] ?? process.execPath,
        args: [...(NODE_ARGS[name] ?? []), path.join(build, 'dist/src/main.js')],
        // its own folder: MikroORM checks the versions in the package.json of the working directory
        cwd: build,
        port: PORT,
        env: {
          PATH: env.PATH, HOME: env.HOME, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(PORT), DATABASE_URL,
          JWT_SECRET: SECRET, JWT_ISSUER: BENCH_JWT.issuer, JWT_AUDIENCE: BENCH_JWT.audience, DATABASE_POOL_MAX: '10',
          JWT_EXPIRES_IN_SECONDS: String(BENCH_JWT.expiresInSeconds), ...BUILD_ENV[name],
        },
      }, path.join(build, 'side-by-side.log'));
      let i = 0;
      const load = (seconds: number) => runLoad({
        baseUrl: server.baseUrl, pid: server.pid, connections: 50, seconds, next: () => requestFor(owners, i++), measureDb: true,
      });
      await load(4);
      const out = await load(DURATION);
      await server.stop();
      const ratio = out.cpuPerRequest / out.dbCpuPerRequest;
      results.set(name, [...(results.get(name) ?? []), ratio]);
      console.log(`${name.padEnd(16)} ${String(Math.round(out.rps)).padStart(5)} req/s  cpu ${out.cpuPerRequest.toFixed(3)} ms/req`
        + `  db ${out.dbCpuPerRequest.toFixed(3)} ms/req  svc/db ${ratio.toFixed(2)}  p99 ${percentile(out.latencies.sorted(), 99).toFixed(1)} ms`
        + `  non-2xx ${out.non2xx + out.errors}`);
    }
  }
  for (const [name, ratios] of results) {
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    console.log(`${name.padEnd(16)} svc/db mean ${mean.toFixed(2)} (${ratios.map((r) => r.toFixed(2)).join(', ')})`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  killAll();
  process.exit(1);
});
