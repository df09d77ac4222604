import { MikroORM } from '@mikro-orm/core';
import request from 'supertest';
import { type ApiTask, createTask, insertTasks, listAll, listPages, newestFirst, type SeedTask } from '../support/tasks';
import { createTestApp, registerUser, type RegisteredUser, type TestApp } from '../support/test-app';

/** A statement as MikroORM sent it, its values written in (MikroORM 6 inlines them before sending). */
type Statement = string;

const BASE = Date.parse('2025-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(BASE + ms).toISOString();

/** Strictly newest first: every item is before the next one in (createdAt desc, id desc). */
function expectStrictlyOrdered(items: ApiTask[]): void {
  for (let i = 1; i < items.length; i++) {
    expect(newestFirst(items[i - 1], items[i])).toBeLessThan(0);
  }
}

function expectPageShape(pages: ApiTask[][], limit: number, total: number): void {
  expect(pages).toHaveLength(Math.max(1, Math.ceil(total / limit)));
  pages.forEach((page, i) => {
    if (i < pages.length - 1) expect(page).toHaveLength(limit);
    else expect(page).toHaveLength(total - limit * (pages.length - 1));
  });
}

describe('GET /tasks keyset pagination', () => {
  let t: TestApp;
  let owner: RegisteredUser;
  let other: RegisteredUser;
  /** The owner's seeded tasks, in the order the list must return them. */
  let expected: { id: string; createdAt: string; completed: boolean }[];

  beforeAll(async () => {
    t = await createTestApp();
    [owner, other] = await Promise.all([registerUser(t.http), registerUser(t.http)]);
    // 47 tasks on 10 instants, up to 8 sharing one createdAt: the id decides inside a tie
    const seeds: SeedTask[] = [];
    const groupSizes = [1, 8, 3, 1, 6, 2, 8, 5, 7, 6];
    groupSizes.forEach((size, group) => {
      for (let k = 0; k < size; k++) seeds.push({ createdAt: at(group * 1000), completed: (seeds.length * 7) % 3 === 0 });
    });
    const ids = await insertTasks(t.db, owner.id, seeds);
    expected = seeds.map((s, i) => ({ id: ids[i], createdAt: s.createdAt, completed: s.completed ?? false })).sort(newestFirst);
    // another user's rows on the very same instants must never show up or shift a page
    await insertTasks(t.db, other.id, groupSizes.map((_, group) => ({ createdAt: at(group * 1000) })));
  });

  afterAll(async () => {
    await t.close();
  });

  it.each([1, 2, 3, 5, 7, 8, 20, 46, 47, 48, 100])('returns every task exactly once, in order, with limit=%i', async (limit) => {
    const pages = await listPages(t.http, owner, { limit });
    const items = pages.flat();
    expect(items.map((i) => i.id)).toEqual(expected.map((e) => e.id));
    expectPageShape(pages, limit, expected.length);
    expectStrictlyOrdered(items);
  });

  it('uses the default page size of 20', async () => {
    const pages = await listPages(t.http, owner);
    expectPageShape(pages, 20, expected.length);
    expect(pages.flat().map((i) => i.id)).toEqual(expected.map((e) => e.id));
  });

  it.each([true, false])('pages through completed=%s only', async (completed) => {
    const want = expected.filter((e) => e.completed === completed);
    expect(want.length).toBeGreaterThan(3);
    const pages = await listPages(t.http, owner, { completed, limit: 3 });
    expectPageShape(pages, 3, want.length);
    expect(pages.flat().map((i) => i.id)).toEqual(want.map((e) => e.id));
    expect(pages.flat().every((i) => i.completed === completed)).toBe(true);
  });

  it('returns createdAt at the stored millisecond precision, so the order is checkable from the page', async () => {
    const items = await listAll(t.http, owner, { limit: 100 });
    for (const item of items) expect(item.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(items.map((i) => i.createdAt)).toEqual(expected.map((e) => e.createdAt));
  });

  it('keeps cursors exact when rows were written with microseconds (stored rounded to milliseconds)', async () => {
    const user = await registerUser(t.http);
    const micro = ['2025-04-01T00:00:00.123456Z', '2025-04-01T00:00:00.123499Z', '2025-04-01T00:00:00.1231Z', '2025-04-01T00:00:00.1235Z', '2025-04-01T00:00:00.123Z'];
    const ids = await insertTasks(t.db, user.id, micro.map((createdAt) => ({ createdAt })));
    const { rows } = await t.db.query<{ id: string; created_at: Date }>('select id, created_at from tasks where user_id = $1', [user.id]);
    const stored = rows.map((r) => ({ id: r.id, createdAt: r.created_at.toISOString() }));
    // four of the five round to .123 and tie; .1235 rounds up to .124
    expect(stored.filter((r) => r.createdAt === '2025-04-01T00:00:00.123Z')).toHaveLength(4);
    const pages = await listPages(t.http, user, { limit: 1 });
    expect(pages).toHaveLength(5);
    expect(pages.flat().map((i) => i.id)).toEqual(stored.sort(newestFirst).map((r) => r.id));
    expect(new Set(pages.flat().map((i) => i.id))).toEqual(new Set(ids));
  });

  it('never repeats or skips a pre-existing task while others are inserted concurrently', async () => {
    const user = await registerUser(t.http);
    // 30 older tasks, in ties of three
    const before = await insertTasks(t.db, user.id, Array.from({ length: 30 }, (_, i) => ({ createdAt: at(-100_000 + Math.floor(i / 3) * 1000) })));
    const inserted: string[] = [];
    let paging = true;
    const insertWhilePaging = async () => {
      for (let i = 0; paging && i < 200; i++) {
        // new tasks at the head of the list, and back-dated ones between the pre-existing rows
        inserted.push((await createTask(t.http, user, { title: `new ${i}` })).id);
        inserted.push(...(await insertTasks(t.db, user.id, [{ createdAt: at(-100_000 + (i % 10) * 1000 + 500) }])));
      }
    };
    const page = async () => {
      try {
        return await listAll(t.http, user, { limit: 4 });
      } finally {
        paging = false;
      }
    };
    const [items] = await Promise.all([page(), insertWhilePaging()]);
    expect(inserted.length).toBeGreaterThan(0);
    const ids = items.map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of before) expect(ids.filter((x) => x === id)).toHaveLength(1);
    expect(ids.every((id) => before.includes(id) || inserted.includes(id))).toBe(true);
    expectStrictlyOrdered(items);
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Filter?: string;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

describe('GET /tasks query plans', () => {
  let t: TestApp;
  let owner: RegisteredUser;

  beforeAll(async () => {
    t = await createTestApp();
    const users = await Promise.all([registerUser(t.http), registerUser(t.http), registerUser(t.http)]);
    owner = users[0];
    // a few thousand rows per user, 40 rows on every instant: a cursor inside a tie must still seek
    for (const user of users) {
      await t.db.query(
        `insert into tasks (id, user_id, title, created_at, updated_at)
         select gen_random_uuid(), $1, 'row ' || g, $2::timestamptz + (g / 40) * interval '1 second', now()
         from generate_series(1, 4000) g`,
        [user.id, at(0)],
      );
    }
    await t.db.query('analyze tasks');
  });

  afterAll(async () => {
    await t.close();
  });

  /** The tasks query the route sent, as PostgreSQL received it (every query passes MikroORM's logger, whatever the log level). */
  async function tasksQueryOf(path: string): Promise<{ sql: Statement; body: { items: ApiTask[]; nextCursor: string | null } }> {
    const orm = t.app.get(MikroORM);
    const spy = jest.spyOn(orm.config.getLogger(), 'logQuery');
    try {
      const res = await request(t.http).get(path).set(owner.auth).expect(200);
      const sent = spy.mock.calls
        .map(([context]) => orm.em.getPlatform().formatQuery(context.query ?? '', context.params ?? []))
        .filter((text) => /from "tasks"/.test(text));
      expect(sent).toHaveLength(1);
      return { sql: sent[0], body: res.body };
    } finally {
      spy.mockRestore();
    }
  }

  /** The plan PostgreSQL runs for this statement (no statement is prepared: each is planned for its values). */
  async function explain(sql: Statement): Promise<PlanNode[]> {
    const { rows } = await t.db.query(`explain (analyze, format json) ${sql}`);
    return planNodes((rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0].Plan);
  }

  function expectIndexOnly(nodes: PlanNode[]): PlanNode {
    expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
    expect(nodes.filter((n) => n['Node Type'] === 'Sort')).toEqual([]); // the index gives the order
    const scans = nodes.filter((n) => n['Relation Name'] === 'tasks');
    expect(scans).toHaveLength(1);
    expect(scans[0]).toMatchObject({ 'Node Type': expect.stringMatching(/^Index( Only)? Scan$/), 'Index Name': 'tasks_user_id_created_at_id_index' });
    return scans[0];
  }

  it('serves the first page from the (user_id, created_at desc, id desc) index', async () => {
    const { sql, body } = await tasksQueryOf('/tasks?limit=20');
    expect(body.items).toHaveLength(20);
    const scan = expectIndexOnly(await explain(sql));
    expect(scan['Index Cond']).toContain('user_id =');
  });

  it('seeks straight to the cursor on a deep keyset page, even inside a tie on createdAt', async () => {
    let cursor: string | null = null;
    for (let i = 0; i < 25; i++) {
      const res: request.Response = await request(t.http).get('/tasks').query({ limit: 81, ...(cursor ? { cursor } : {}) }).set(owner.auth).expect(200);
      cursor = res.body.nextCursor;
    }
    expect(cursor).not.toBeNull();
    const { sql, body } = await tasksQueryOf(`/tasks?limit=20&cursor=${cursor}`);
    expect(body.items).toHaveLength(20);
    const scan = expectIndexOnly(await explain(sql));
    // the whole (created_at, id) position is in the index condition: no row before the cursor is read and thrown away
    expect(scan['Index Cond']).toMatch(/created_at/);
    expect(scan['Index Cond']).toMatch(/\bid\b/);
    expect(scan['Rows Removed by Filter'] ?? 0).toBe(0);
  });
});
