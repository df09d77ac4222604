import { Request } from 'autocannon';
import type { Database } from './database';
import type { BenchUser } from './seed';

const pick = <T>(a: T[]): T => a[(Math.random() * a.length) | 0];
let serial = 0;
const read = (u: BenchUser) => ({ authorization: `Bearer ${u.token}` });
const write = (u: BenchUser) => ({ authorization: `Bearer ${u.token}`, 'content-type': 'application/json' });

export const requests = {
  list: (users: BenchUser[]): Request => ({ method: 'GET', path: '/tasks', headers: read(pick(users)) }),
  get: (users: BenchUser[]): Request => {
    const u = pick(users);
    return { method: 'GET', path: `/tasks/${pick(u.taskIds)}`, headers: read(u) };
  },
  create: (users: BenchUser[]): Request => {
    const u = pick(users);
    return { method: 'POST', path: '/tasks', headers: write(u), body: JSON.stringify({ title: `Bench task ${++serial}`, description: 'Created under load' }) };
  },
  patch: (users: BenchUser[]): Request => {
    const u = pick(users);
    const body = Math.random() < 0.5 ? { completed: Math.random() < 0.5 } : { title: `Patched ${++serial}`, completed: Math.random() < 0.5 };
    return { method: 'PATCH', path: `/tasks/${pick(u.taskIds)}`, headers: write(u), body: JSON.stringify(body) };
  },
  /** 80% reads (half list, half get), 20% writes (half create, half patch) */
  mixed: (users: BenchUser[]): Request => {
    const r = Math.random();
    return r < 0.4 ? requests.list(users) : r < 0.8 ? requests.get(users) : r < 0.9 ? requests.create(users) : requests.patch(users);
  },
};
export type Kind = keyof typeof requests;
export const WRITES: Kind[] = ['create', 'patch', 'mixed'];

/** Tasks created under load are removed after each write run, so every run sees the same table. */
export async function resetTable(db: Database, users: BenchUser[], seededUntil: Date): Promise<void> {
  await db.pool.query('DELETE FROM tasks WHERE user_id = ANY($1::uuid[]) AND created_at > $2', [users.map((u) => u.id), seededUntil]);
  await db.pool.query('VACUUM (ANALYZE) tasks');
}
