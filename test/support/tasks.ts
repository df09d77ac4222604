import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Pool } from 'pg';
import request from 'supertest';
import type { RegisteredUser } from './test-app';

/** A task as the API returns it. */
export interface ApiTask {
  id: string;
  title: string;
  description: string | null;
  completed: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export async function createTask(http: Server, user: RegisteredUser, body: Record<string, unknown> = { title: 'a task' }): Promise<ApiTask> {
  const res = await request(http).post('/tasks').set(user.auth).send(body).expect(201);
  return res.body as ApiTask;
}

/** Follows nextCursor until it is null; returns every page as it came. */
export async function listPages(http: Server, user: RegisteredUser, query: Record<string, string | number | boolean> = {}): Promise<ApiTask[][]> {
  const pages: ApiTask[][] = [];
  let cursor: string | undefined;
  do {
    const res = await request(http)
      .get('/tasks')
      .set(user.auth)
      .query({ ...query, ...(cursor === undefined ? {} : { cursor }) })
      .expect(200);
    pages.push(res.body.items as ApiTask[]);
    cursor = (res.body.nextCursor as string | null) ?? undefined;
    if (pages.length > 10_000) throw new Error('the cursor never ends');
  } while (cursor !== undefined);
  return pages;
}

export async function listAll(http: Server, user: RegisteredUser, query: Record<string, string | number | boolean> = {}): Promise<ApiTask[]> {
  return (await listPages(http, user, query)).flat();
}

/** The list order: createdAt desc, then id desc (uuids compare like their lower-case hex text). */
export function newestFirst(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): number {
  const byTime = Date.parse(b.createdAt) - Date.parse(a.createdAt);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The stored row, straight from SQL, for asserting that nothing changed. */
export async function taskRow(db: Pool, id: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await db.query('select * from tasks where id = $1', [id]);
  return rows[0];
}

export async function taskCount(db: Pool, userId?: string): Promise<number> {
  const { rows } = userId
    ? await db.query<{ n: number }>('select count(*)::int as n from tasks where user_id = $1', [userId])
    : await db.query<{ n: number }>('select count(*)::int as n from tasks');
  return rows[0].n;
}

export interface SeedTask {
  id?: string;
  createdAt: string;
  completed?: boolean;
  title?: string;
}

/** Inserts rows directly (e.g. with identical created_at), returning their ids; the data model rounds to ms. */
export async function insertTasks(db: Pool, userId: string, seeds: SeedTask[]): Promise<string[]> {
  const ids = seeds.map((seed) => seed.id ?? randomUUID());
  await db.query(
    `insert into tasks (id, user_id, title, completed, created_at, updated_at)
     select u.id, $1, u.title, u.completed, u.created_at, u.created_at
     from unnest($2::uuid[], $3::text[], $4::boolean[], $5::timestamptz[]) as u(id, title, completed, created_at)`,
    [userId, ids, seeds.map((s, i) => s.title ?? `seeded ${i}`), seeds.map((s) => s.completed ?? false), seeds.map((s) => s.createdAt)],
  );
  return ids;
}
