import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { cfg, JWT_SECRET, log } from './config';
import type { Database } from './database';
import { accessToken } from './tokens';

export interface BenchUser {
  id: string;
  token: string;
  taskIds: string[];
}

function token(sub: string): Promise<string> {
  return accessToken(JWT_SECRET, sub);
}

async function call(base: string, method: string, p: string, body: unknown, bearer?: string): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(base + p, {
    method,
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, json };
}

async function parallel<T>(items: T[], width: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

/** Users registered and tasks created through the API of the first server; tokens minted by the bench. */
export async function seedThroughApi(base: string): Promise<BenchUser[]> {
  const runId = randomBytes(4).toString('hex');
  const users: BenchUser[] = [];
  const t0 = performance.now();
  await parallel(Array.from({ length: cfg.users }, (_, i) => i), 4, async (i) => {
    const r = await call(base, 'POST', '/auth/register', { email: `bench-${runId}-${i}@example.com`, password: `bench password ${i}`, name: `Bench ${i}` });
    if (r.status !== 201) throw new Error(`register answered ${r.status}: ${JSON.stringify(r.json).slice(0, 300)}`);
    users[i] = { id: r.json.user.id, token: await token(r.json.user.id), taskIds: [] };
  });
  log(`registered ${cfg.users} users in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const t1 = performance.now();
  const jobs = users.flatMap((u) => Array.from({ length: cfg.tasksPerUser }, (_, j) => ({ u, j })));
  await parallel(jobs, 16, async ({ u, j }) => {
    const r = await call(base, 'POST', '/tasks', { title: `Seeded task ${j}`, description: j % 2 ? `Seeded by the benchmark, #${j}` : null, completed: j % 3 === 0 }, u.token);
    if (r.status !== 201) throw new Error(`POST /tasks answered ${r.status}: ${JSON.stringify(r.json).slice(0, 300)}`);
    u.taskIds.push(r.json.id);
  });
  log(`created ${jobs.length} tasks in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  return users;
}

/** The large table: users and tasks straight into PostgreSQL with generate_series. */
export async function seedLarge(db: Database): Promise<BenchUser[]> {
  const t0 = performance.now();
  const hash = await argon2.hash(randomBytes(16).toString('hex'), { type: argon2.argon2id });
  const tag = randomBytes(4).toString('hex');
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO users (id, email, name, password_hash, created_at, updated_at)
     SELECT gen_random_uuid(), 'bulk-' || $1 || '-' || g || '@example.com', NULL, $2, now(), now() FROM generate_series(1, $3) g
     RETURNING id`,
    [tag, hash, cfg.largeUsers],
  );
  const ids = rows.map((r) => r.id);
  const perUser = Math.floor(cfg.largeTasks / cfg.largeUsers);
  const batch = Math.max(1, Math.floor(100_000 / Math.max(1, perUser)));
  for (let i = 0; i < ids.length; i += batch) {
    await db.pool.query(
      `INSERT INTO tasks (id, user_id, title, description, completed, created_at, updated_at, version)
       SELECT gen_random_uuid(), u, 'Bulk task ' || g, CASE WHEN g % 2 = 0 THEN 'Seeded with SQL' END, g % 3 = 0, t, t, 1
       FROM unnest($1::uuid[]) AS u, generate_series(1, $2) AS g,
            LATERAL (SELECT now() - g * interval '1 minute' - random() * interval '1 second' AS t) AS ts`,
      [ids.slice(i, i + batch), perUser],
    );
    process.stdout.write(`\r[bench] large table: ${Math.min(ids.length, i + batch) * perUser} tasks`);
  }
  process.stdout.write('\n');
  await db.pool.query('VACUUM (ANALYZE) tasks');
  await db.pool.query('ANALYZE users');
  const { rows: [c] } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM tasks');
  log(`large table seeded: ${c.n} tasks in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return Promise.all(ids.map(async (id) => ({ id, token: await token(id), taskIds: [] })));
}
