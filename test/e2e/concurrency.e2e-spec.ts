import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createTask, taskRow } from '../support/tasks';
import { createTestApp, registerUser, type RegisteredUser, type TestApp } from '../support/test-app';

describe('optimistic concurrency (ETag / If-Match)', () => {
  let t: TestApp;
  let user: RegisteredUser;
  let other: RegisteredUser;

  beforeAll(async () => {
    t = await createTestApp();
    [user, other] = await Promise.all([registerUser(t.http), registerUser(t.http)]);
  });

  afterAll(async () => {
    await t.close();
  });

  const patch = (who: RegisteredUser, id: string, body: object, ifMatch?: string) => {
    const req = request(t.http).patch(`/tasks/${id}`).set(who.auth);
    return (ifMatch === undefined ? req : req.set('If-Match', ifMatch)).send(body);
  };

  it('two concurrent PATCHes with the same If-Match: exactly one 200, one 412', async () => {
    // repeated on fresh tasks so that a lucky interleaving cannot hide a lost update
    for (let round = 0; round < 8; round++) {
      const task = await createTask(t.http, user, { title: 'start' });
      const [a, b] = await Promise.all([patch(user, task.id, { title: 'from A' }, '"1"'), patch(user, task.id, { title: 'from B' }, '"1"')]);
      expect([a.status, b.status].sort()).toEqual([200, 412]);
      const winner = a.status === 200 ? a : b;
      const loser = a.status === 200 ? b : a;
      expect(winner.body).toMatchObject({ version: 2 });
      expect(winner.headers.etag).toBe('"2"');
      expect(loser.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(loser.body).toMatchObject({ status: 412 });
      expect(loser.headers.etag).toBeUndefined();
      expect(await taskRow(t.db, task.id)).toMatchObject({ version: 2, title: winner.body.title });
    }
  });

  it('N concurrent PATCHes without If-Match all answer 200 and the version ends at 1 + N', async () => {
    const n = 12;
    const task = await createTask(t.http, user, { title: 'start' });
    const results = await Promise.all(Array.from({ length: n }, (_, i) => patch(user, task.id, { title: `write ${i}` })));
    expect(results.map((r) => r.status)).toEqual(Array(n).fill(200));
    // every write saw its own version: none was lost, none was counted twice
    expect(results.map((r) => r.body.version).sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i + 2));
    for (const r of results) expect(r.headers.etag).toBe(`"${r.body.version}"`);
    const row = await taskRow(t.db, task.id);
    expect(row).toMatchObject({ version: 1 + n });
    // last write wins: the stored title is the one the highest version returned
    const last = results.find((r) => r.body.version === 1 + n);
    expect(row?.title).toBe(last?.body.title);
  });

  it('a mix of conditional and unconditional concurrent PATCHes: the unconditional ones all succeed', async () => {
    const task = await createTask(t.http, user, { title: 'start' });
    const results = await Promise.all([
      ...Array.from({ length: 4 }, (_, i) => patch(user, task.id, { completed: i % 2 === 0 })),
      ...Array.from({ length: 4 }, () => patch(user, task.id, { title: 'guarded' }, '"1"')),
    ]);
    const unconditional = results.slice(0, 4);
    const conditional = results.slice(4);
    expect(unconditional.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const wins = conditional.filter((r) => r.status === 200).length;
    expect(wins).toBeLessThanOrEqual(1);
    expect(conditional.every((r) => r.status === 200 || r.status === 412)).toBe(true);
    expect(await taskRow(t.db, task.id)).toMatchObject({ version: 1 + 4 + wins });
  });

  it('the ETag of each response is the If-Match of the next', async () => {
    const task = await createTask(t.http, user, { title: 'v1' });
    let etag = (await request(t.http).get(`/tasks/${task.id}`).set(user.auth).expect(200)).headers.etag;
    expect(etag).toBe('"1"');
    for (let i = 2; i <= 4; i++) {
      const res = await patch(user, task.id, { title: `v${i}` }, etag).expect(200);
      expect(res.headers.etag).toBe(`"${i}"`);
      etag = res.headers.etag;
    }
    await patch(user, task.id, { title: 'stale' }, '"3"').expect(412);
    expect(await taskRow(t.db, task.id)).toMatchObject({ title: 'v4', version: 4 });
  });

  describe('If-Match forms', () => {
    let id: string;
    beforeEach(async () => {
      id = (await createTask(t.http, user, { title: 'forms' })).id; // at version 1
    });

    it.each([
      ['*', 200],
      ['"1"', 200],
      ['"7", "1"', 200],
      ['"7","1","9"', 200],
      ['W/"1", "1"', 200],
      ['"2"', 412],
      ['"7", "8"', 412],
      ['W/"1"', 412],
      ['1', 400],
      ['"01"', 412],
      ['garbage', 400],
      ['', 400],
    ])('If-Match %p on a task at version 1 is %i', async (ifMatch, status) => {
      const before = await taskRow(t.db, id);
      const res = await patch(user, id, { title: 'changed' }, ifMatch);
      expect(res.status).toBe(status);
      if (status === 200) {
        expect(res.headers.etag).toBe('"2"');
        expect(await taskRow(t.db, id)).toMatchObject({ title: 'changed', version: 2 });
      } else {
        expect(await taskRow(t.db, id)).toEqual(before);
      }
    });
  });

  describe('a missing or foreign task is 404 before If-Match is looked at', () => {
    // a malformed If-Match (`garbage`) is 400 before the task is looked up, as a malformed body is
    it.each(['"1"', '"99"', '*', 'W/"1"'])('If-Match %p', async (ifMatch) => {
      const theirs = await createTask(t.http, other, { title: 'not yours' });
      const before = await taskRow(t.db, theirs.id);
      const gone = await createTask(t.http, user, { title: 'gone' });
      await request(t.http).delete(`/tasks/${gone.id}`).set(user.auth).expect(204);
      await patch(user, theirs.id, { title: 'x' }, ifMatch).expect(404);
      await patch(user, gone.id, { title: 'x' }, ifMatch).expect(404);
      await patch(user, randomUUID(), { title: 'x' }, ifMatch).expect(404);
      expect(await taskRow(t.db, theirs.id)).toEqual(before);
    });
  });

  it('a PATCH racing a DELETE is 200 (before) or 404 (after), never 412 or 500', async () => {
    for (let round = 0; round < 5; round++) {
      const task = await createTask(t.http, user);
      const [patched, deleted] = await Promise.all([patch(user, task.id, { title: 'racing' }, '"1"'), request(t.http).delete(`/tasks/${task.id}`).set(user.auth)]);
      expect(deleted.status).toBe(204);
      expect([200, 404]).toContain(patched.status);
      expect(await taskRow(t.db, task.id)).toBeUndefined();
    }
  });
});
