/**
 * `npm run build && npm run bench:register-flood`: how long a correct login takes while a registration flood
 * arrives, on the built service (dist/) in production mode, as a separate process.
 *
 * Each round sends FLOOD_REGISTRATIONS [300] registrations at once from FLOOD_ADDRESSES [30] client addresses
 * (X-Forwarded-For, TRUST_PROXY=loopback; a fresh set of addresses per round, so the per-address limit does not
 * refuse them), and meanwhile logs one existing user in, again and again, from an address of its own, until the
 * last registration is answered. It prints each round's login latencies, the registrations' answers and
 * latencies, and the service's peak RSS. The target: every login 200 within 1 s, no registration answered
 * after more than 10 s.
 *
 * Environment: BENCH_DATABASE_URL [postgres://postgres@127.0.0.1:5432/postgres] (a role that may create
 * databases: the bench makes its own and drops it), FLOOD_ROUNDS [3], FLOOD_REGISTRATIONS [300],
 * FLOOD_ADDRESSES [30], FLOOD_PORT [3310], FLOOD_MAIN_JS [dist/src/main.js] (another build's, to compare),
 * FLOOD_VERBOSE=1 (every login's latency, in order); any REGISTER_* variable is passed on to the service.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import { killAll, rssMiB, startServer } from './lib/proc';
import { percentile } from './lib/stats';

const env = process.env;
const ROOT = path.resolve(__dirname, '..');
const MAIN_JS = path.resolve(env.FLOOD_MAIN_JS ?? path.join(ROOT, 'dist', 'src', 'main.js'));
const ADMIN_URL = env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROUNDS = Number(env.FLOOD_ROUNDS ?? 3);
const REGISTRATIONS = Number(env.FLOOD_REGISTRATIONS ?? 300);
const ADDRESSES = Number(env.FLOOD_ADDRESSES ?? 30);
const PORT = Number(env.FLOOD_PORT ?? 3310);
const PASSWORD = 'correct horse battery staple';

interface Answer {
  status: number;
  ms: number;
}

async function post(baseUrl: string, route: string, body: unknown, address: string): Promise<Answer> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${baseUrl}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0 };
  } catch {
    return { status: 0, ms: performance.now() - t0 }; // no answer at all
  }
}

const ms = (values: number[], p: number) => (values.length ? `${Math.round(percentile(Float64Array.from(values).sort(), p))}` : '-');

function counts(answers: Answer[]): string {
  const by = new Map<number, number>();
  for (const a of answers) by.set(a.status, (by.get(a.status) ?? 0) + 1);
  return [...by.entries()].sort(([a], [b]) => a - b).map(([status, n]) => `${n}× ${status || 'no answer'}`).join(', ');
}

async function main(): Promise<void> {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run npm run build first`);
  const dbName = `flood_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new Pool({ connectionString: ADMIN_URL, max: 1 });
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${dbName}`;
  const passOn = Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith('REGISTER_') || key === 'UV_THREADPOOL_SIZE'));
  const server = await startServer(
    {
      name: 'service',
      command: process.execPath,
      args: [MAIN_JS],
      cwd: ROOT,
      port: PORT,
      env: {
        PATH: env.PATH, HOME: env.HOME, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(PORT), METRICS_PORT: '0',
        DATABASE_URL: url.toString(), MIGRATE_ON_START: 'true', JWT_SECRET: randomBytes(32).toString('base64url'),
        TRUST_PROXY: 'loopback', ...passOn,
        // the bench's database role may be a superuser; what is measured here does not involve row-level security
        DATABASE_ALLOW_RLS_BYPASS: 'true',
      },
    },
    path.join(os.tmpdir(), `register-flood-${process.pid}.log`),
  );
  try {
    const base = server.baseUrl;
    const email = `flood-login-${dbName}@example.com`;
    const created = await post(base, '/auth/register', { email, password: PASSWORD }, '10.255.0.1');
    if (created.status !== 201) throw new Error(`could not register the login user: ${created.status}`);
    const login = () => post(base, '/auth/login', { email, password: PASSWORD }, '10.255.0.2');
    const quiet: Answer[] = [];
    for (let i = 0; i < 5; i++) quiet.push(await login());
    console.log(`${os.availableParallelism()} CPUs; a login with no flood: ${quiet.map((a) => `${a.status} in ${Math.round(a.ms)} ms`).join(', ')}`);

    for (let round = 1; round <= ROUNDS; round++) {
      let peakRss = rssMiB(server.pid);
      let flooding = true;
      const sampler = (async () => {
        while (flooding) {
          peakRss = Math.max(peakRss, rssMiB(server.pid));
          await sleep(50);
        }
      })();
      const flood = Promise.all(
        Array.from({ length: REGISTRATIONS }, (_, i) =>
          post(base, '/auth/register', { email: `flood-${dbName}-${round}-${i}@example.com`, password: PASSWORD }, `10.${round}.0.${(i % ADDRESSES) + 1}`),
        ),
      ).finally(() => (flooding = false));
      const logins: Answer[] = [];
      await sleep(50); // the flood is in flight
      while (flooding) logins.push(await login());
      const registrations = await flood;
      await sampler;
      const loginMs = logins.map((a) => a.ms);
      if (env.FLOOD_VERBOSE === '1') console.log(`round ${round}, each login in ms: ${logins.map((a) => Math.round(a.ms)).join(' ')}`);
      const regMs = registrations.map((a) => a.ms);
      console.log(
        `round ${round}: ${logins.length} logins during the flood (${counts(logins)}): p50 ${ms(loginMs, 50)} ms, max ${ms(loginMs, 100)} ms | ` +
          `${REGISTRATIONS} registrations (${counts(registrations)}): p50 ${ms(regMs, 50)} ms, max ${ms(regMs, 100)} ms | peak RSS ${Math.round(peakRss)} MiB`,
      );
      await sleep(1000);
    }
  } finally {
    await server.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  killAll();
  console.error(error);
  process.exit(1);
});
