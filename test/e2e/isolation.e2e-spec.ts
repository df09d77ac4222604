import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { encodeCursor } from '../../src/tasks/task-cursor';
import { type ApiTask, createTask, listAll, taskCount, taskRow } from '../support/tasks';
import { createTestApp, registerUser, type RegisteredUser, type TestApp } from '../support/test-app';

type Target = 'own task' | "another user's task" | 'deleted task' | 'random UUID' | 'malformed id';
type Route = 'GET' | 'PATCH' | 'PATCH If-Match current' | 'PATCH If-Match stale' | 'DELETE';

/** The exact status of every task route for every kind of id. */
const MATRIX: Record<Route, Record<Target, number>> = {
  GET: { 'own task': 200, "another user's task": 404, 'deleted task': 404, 'random UUID': 404, 'malformed id': 400 },
  PATCH: { 'own task': 200, "another user's task": 404, 'deleted task': 404, 'random UUID': 404, 'malformed id': 400 },
  'PATCH If-Match current': { 'own task': 200, "another user's task": 404, 'deleted task': 404, 'random UUID': 404, 'malformed id': 400 },
  // a missing or another user's task is 404 before If-Match is looked at
  'PATCH If-Match stale': { 'own task': 412, "another user's task": 404, 'deleted task': 404, 'random UUID': 404, 'malformed id': 400 },
  DELETE: { 'own task': 204, "another user's task": 404, 'deleted task': 404, 'random UUID': 404, 'malformed id': 400 },
};

const CASES = (Object.keys(MATRIX) as Route[]).flatMap((route) =>
  (Object.keys(MATRIX[route]) as Target[]).map((target) => [route, target, MATRIX[route][target]] as const),
);

describe('owner isolation', () => {
  let t: TestApp;
  let attacker: RegisteredUser;
  let victim: RegisteredUser;

  beforeAll(async () => {
    t = await createTestApp();
    [attacker, victim] = await Promise.all([registerUser(t.http), registerUser(t.http)]);
  });

  afterAll(async () => {
    await t.close();
  });

  function send(route: Route, id: string): request.Test {
    const http = request(t.http);
    switch (route) {
      case 'GET':
        return http.get(`/tasks/${id}`).set(attacker.auth);
      case 'DELETE':
        return http.delete(`/tasks/${id}`).set(attacker.auth);
      case 'PATCH':
        return http.patch(`/tasks/${id}`).set(attacker.auth).send({ title: 'changed by the caller', completed: true, description: null });
      case 'PATCH If-Match current':
        return http.patch(`/tasks/${id}`).set(attacker.auth).set('If-Match', '"1"').send({ title: 'changed by the caller' });
      case 'PATCH If-Match stale':
        return http.patch(`/tasks/${id}`).set(attacker.auth).set('If-Match', '"99"').send({ title: 'changed by the caller' });
    }
  }

  describe('every task route x every kind of id', () => {
    let victimTask: ApiTask;
    let victimRow: Record<string, unknown> | undefined;
    let ownTask: ApiTask;
    let deletedId: string;
    let notFoundBody: unknown;

    beforeEach(async () => {
      victimTask = await createTask(t.http, victim, { title: 'victim secret', description: 'private', completed: false });
      victimRow = await taskRow(t.db, victimTask.id);
      ownTask = await createTask(t.http, attacker, { title: 'mine' });
      deletedId = (await createTask(t.http, attacker, { title: 'gone soon' })).id;
      await request(t.http).delete(`/tasks/${deletedId}`).set(attacker.auth).expect(204);
      notFoundBody = (await request(t.http).get(`/tasks/${randomUUID()}`).set(attacker.auth).expect(404)).body;
    });

    const idFor = (target: Target): string => {
      switch (target) {
        case 'own task':
          return ownTask.id;
        case "another user's task":
          return victimTask.id;
        case 'deleted task':
          return deletedId;
        case 'random UUID':
          return randomUUID();
        case 'malformed id':
          return `${randomUUID()}x`;
      }
    };

    it.each(CASES)('%s on %s is %i', async (route, target, status) => {
      const attackerCount = await taskCount(t.db, attacker.id);
      const res = await send(route, idFor(target));
      expect(res.status).toBe(status);
      if (status >= 400) expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      if (status === 404) {
        // another user's task answers exactly like one that never existed
        expect(res.body).toEqual(notFoundBody);
        expect(res.headers.etag).toBeUndefined();
      }
      if (status === 400) expect(res.body.errors).toEqual([expect.objectContaining({ field: 'id' })]);
      if (target !== 'own task') expect(await taskCount(t.db, attacker.id)).toBe(attackerCount);

      // the victim's task is unchanged, through its owner and in the table
      const seen = await request(t.http).get(`/tasks/${victimTask.id}`).set(victim.auth).expect(200);
      expect(seen.body).toEqual(victimTask);
      expect(seen.headers.etag).toBe('"1"');
      expect(await taskRow(t.db, victimTask.id)).toEqual(victimRow);
    });

    it('an own task really is changed by those routes (the matrix can tell)', async () => {
      await send('PATCH', ownTask.id).expect(200);
      expect(await taskRow(t.db, ownTask.id)).toMatchObject({ title: 'changed by the caller', completed: true, version: 2 });
      await send('DELETE', ownTask.id).expect(204);
      expect(await taskRow(t.db, ownTask.id)).toBeUndefined();
    });
  });

  describe('lists', () => {
    it("never show another user's tasks", async () => {
      const a = await registerUser(t.http);
      const b = await registerUser(t.http);
      const mine = [await createTask(t.http, a, { title: 'a1' }), await createTask(t.http, a, { title: 'a2', completed: true })];
      await createTask(t.http, b, { title: 'b1' });
      await createTask(t.http, b, { title: 'b2', completed: true });
      const queries: Record<string, boolean | number>[] = [{}, { completed: true }, { completed: false }, { limit: 1 }];
      for (const query of queries) {
        const items = await listAll(t.http, a, query);
        const want = mine.filter((m) => query.completed === undefined || m.completed === query.completed);
        expect(items.map((i) => i.id).sort()).toEqual(want.map((m) => m.id).sort());
      }
    });

    it("a cursor from another user's list pages only the caller's own tasks", async () => {
      const a = await registerUser(t.http);
      const b = await registerUser(t.http);
      const aTasks: ApiTask[] = [];
      const bTasks: ApiTask[] = [];
      for (let i = 0; i < 6; i++) {
        bTasks.push(await createTask(t.http, b, { title: `b${i}` }));
        if (i % 2 === 0) aTasks.push(await createTask(t.http, a, { title: `a${i}` }));
      }
      const bPage = await request(t.http).get('/tasks?limit=2').set(b.auth).expect(200);
      const cursors = [
        bPage.body.nextCursor as string,
        // positions made from b's tasks, and one after everything
        encodeCursor({ createdAt: new Date(bTasks[5].createdAt), id: bTasks[5].id }),
        encodeCursor({ createdAt: new Date(bTasks[0].createdAt), id: bTasks[0].id }),
        encodeCursor({ createdAt: new Date('9999-01-01T00:00:00.000Z'), id: 'ffffffff-ffff-4fff-bfff-ffffffffffff' }),
      ];
      const aIds = new Set(aTasks.map((x) => x.id));
      for (const cursor of cursors) {
        let next: string | null = cursor;
        while (next !== null) {
          const res: request.Response = await request(t.http).get('/tasks').query({ cursor: next, limit: 1 }).set(a.auth);
          if (res.status === 400) break;
          expect(res.status).toBe(200);
          for (const item of res.body.items as ApiTask[]) expect(aIds.has(item.id)).toBe(true);
          next = res.body.nextCursor;
        }
      }
      // the far-future cursor reaches every one of the caller's tasks, and only those
      const all = await request(t.http).get('/tasks').query({ cursor: cursors[3], limit: 100 }).set(a.auth).expect(200);
      expect((all.body.items as ApiTask[]).map((x) => x.id).sort()).toEqual([...aIds].sort());
    });
  });

  describe('mass assignment', () => {
    let victimTask: ApiTask;
    beforeAll(async () => {
      victimTask = await createTask(t.http, victim, { title: 'victim owned' });
    });

    const fields = (): [string, unknown][] => [
      ['userId', victim.id],
      ['user_id', victim.id],
      ['owner', victim.id],
      ['ownerId', victim.id],
      ['user', { id: victim.id }],
      ['id', victimTask.id],
      ['createdAt', '2000-01-01T00:00:00.000Z'],
      ['updatedAt', '2000-01-01T00:00:00.000Z'],
      ['version', 99],
    ];

    it.each(['userId', 'user_id', 'owner', 'ownerId', 'user', 'id', 'createdAt', 'updatedAt', 'version'])(
      'POST /tasks with %s is 400 naming it, and writes nothing',
      async (field) => {
        const value = fields().find(([name]) => name === field)?.[1];
        const before = await taskCount(t.db);
        const res = await request(t.http).post('/tasks').set(attacker.auth).send({ title: 'sneaky', [field]: value });
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
        expect(await taskCount(t.db)).toBe(before);
        expect(await taskRow(t.db, victimTask.id)).toMatchObject({ user_id: victim.id, title: 'victim owned', version: 1 });
      },
    );

    it.each(['userId', 'user_id', 'owner', 'ownerId', 'user', 'id', 'createdAt', 'updatedAt', 'version'])(
      'PATCH /tasks/:id with %s is 400 naming it, and changes nothing',
      async (field) => {
        const value = fields().find(([name]) => name === field)?.[1];
        const own = await createTask(t.http, attacker, { title: 'own' });
        const ownBefore = await taskRow(t.db, own.id);
        const victimBefore = await taskRow(t.db, victimTask.id);
        const res = await request(t.http).patch(`/tasks/${own.id}`).set(attacker.auth).send({ title: 'sneaky', [field]: value });
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
        expect(await taskRow(t.db, own.id)).toEqual(ownBefore);
        expect(await taskRow(t.db, victimTask.id)).toEqual(victimBefore);
        // aimed at the victim's task itself: refused too, nothing written
        const aimed = await request(t.http).patch(`/tasks/${victimTask.id}`).set(attacker.auth).send({ title: 'sneaky', [field]: value });
        expect([400, 404]).toContain(aimed.status);
        expect(await taskRow(t.db, victimTask.id)).toEqual(victimBefore);
      },
    );

    const smuggling = (key: string) => `{"title":"smuggled","${key}":{"userId":"${victim.id}","user":"${victim.id}"}}`;

    it.each(['__proto__', 'constructor'])("a %s key cannot smuggle an owner: nothing reaches the victim's list", async (key) => {
      const before = await taskCount(t.db, victim.id);
      await request(t.http).post('/tasks').set(attacker.auth).set('Content-Type', 'application/json').send(smuggling(key));
      expect(await taskCount(t.db, victim.id)).toBe(before);
      const { rows } = await t.db.query<{ user_id: string }>("select user_id from tasks where title = 'smuggled'");
      expect(rows.every((row) => row.user_id === attacker.id)).toBe(true);
    });

    it.each(['__proto__', 'constructor'])('a %s key is an unknown field: 400, nothing written', async (key) => {
      const before = await taskCount(t.db);
      const res = await request(t.http).post('/tasks').set(attacker.auth).set('Content-Type', 'application/json').send(smuggling(key));
      expect(res.status).toBe(400);
      expect(await taskCount(t.db)).toBe(before);
    });

    it('a created task always belongs to the caller', async () => {
      const task = await createTask(t.http, attacker, { title: 'plain' });
      expect(await taskRow(t.db, task.id)).toMatchObject({ user_id: attacker.id });
    });
  });
});
