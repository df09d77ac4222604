import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';

// the settings, from the environment: documented at the head of bench/run.ts
export const ROOT = path.resolve(__dirname, '..', '..');
const env = process.env;
export const QUICK = env.BENCH_QUICK === '1';
export const num = (name: string, normal: number, quick: number) => {
  const v = env[name];
  if (v === undefined || v === '') return QUICK ? quick : normal;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number >= 0`);
  return n;
};
export const cfg = {
  rounds: Math.max(1, num('BENCH_ROUNDS', 4, 2)),
  duration: num('BENCH_DURATION', 10, 2),
  warmup: num('BENCH_WARMUP', 5, 1),
  warmupRequests: num('BENCH_WARMUP_REQUESTS', 5000, 300),
  warmupMax: num('BENCH_WARMUP_MAX', 60, 5),
  connections: Math.max(1, num('BENCH_CONNECTIONS', 50, 50)),
  users: Math.max(1, num('BENCH_USERS', 50, 10)),
  tasksPerUser: Math.max(1, num('BENCH_TASKS_PER_USER', 200, 20)),
  largeUsers: Math.max(1, num('BENCH_LARGE_USERS', 1000, 20)),
  largeTasks: num('BENCH_LARGE_TASKS', 1_000_000, 20_000),
  soak: num('BENCH_SOAK_SECONDS', 300, 0),
  servers: (env.BENCH_SERVERS ?? 'service,reference').split(',').map((s) => s.trim()).filter(Boolean) as ('service' | 'reference')[],
  outDir: path.resolve(ROOT, env.BENCH_OUT_DIR ?? (QUICK ? 'bench/results' : 'docs')),
  dbName: env.BENCH_DB_NAME ?? 'task_bench',
  pgPort: 0,
  port: 0,
};
export const largeRounds = num('BENCH_LARGE_ROUNDS', cfg.rounds, 1);
export const referencePrepared = env.BENCH_REFERENCE_PREPARED === '1';
if (cfg.servers.some((s) => s !== 'service' && s !== 'reference') || cfg.servers.length === 0) {
  throw new Error('BENCH_SERVERS lists service and/or reference');
}
if (!/^[a-z_][a-z0-9_]*$/.test(cfg.dbName)) throw new Error('BENCH_DB_NAME must be a plain lower-case identifier');

export const JWT_SECRET = randomBytes(36).toString('base64url');
export const WORK = path.join(ROOT, '.data', 'bench');
export const log = (message: string) => console.log(`[bench] ${message}`);
export const count = (n: number) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));

/** The preferred port when it is free on 127.0.0.1, else one the kernel picks. */
export function freePort(preferred: number): Promise<number> {
  const attempt = (port: number) => new Promise<number>((resolve, reject) => {
    const server = createServer().once('error', reject).listen(port, '127.0.0.1', () => {
      const { port: got } = server.address() as { port: number };
      server.close(() => resolve(got));
    });
  });
  return attempt(preferred).catch(() => attempt(0));
}

export function estimateMinutes(): number {
  const perStart = 2 + cfg.warmup;
  const small = cfg.rounds * cfg.servers.length * (perStart + 5 * cfg.duration + 3);
  const large = largeRounds * cfg.servers.length * (perStart + 2 * cfg.duration);
  return (small + large + cfg.soak + 60) / 60;
}
