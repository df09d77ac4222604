import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { type ApiTask, createTask, listAll, taskCount, taskRow } from '../support/tasks';
import { expectInvalid, expectProblem } from '../support/problem-assertions';
import { registerUser, useTestApp, type RegisteredUser } from '../support/test-app';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const cp = (s: string) => [...s].length;

describe('tasks CRUD', () => {
  const t = useTestApp();
  let user: RegisteredUser;

  beforeAll(async () => {
    user = await registerUser(t.http);
  });

  const post = (body: unknown) => request(t.http).post('/tasks').set(user.auth).send(body as object);
  const patch = (id: string, body: unknown) => request(t.http).patch(`/tasks/${id}`).set(user.auth).send(body as object);

  // the data layer reads every column (owner included): only the Task fields may reach a client
  it('answers every task route with exactly the Task fields, never the owner', async () => {
    const taskKeys = ['completed', 'createdAt', 'description', 'id', 'title', 'updatedAt', 'version'];
    const created = await post({ title: 'shape' }).expect(201);
    const answers = [
      created.body,
      (await request(t.http).get(`/tasks/${created.body.id}`).set(user.auth).expect(200)).body,
      (await patch(created.body.id, { completed: true }).expect(200)).body,
      ...(await request(t.http).get('/tasks').set(user.auth).expect(200)).body.items,
    ];
    for (const answer of answers) {
      expect(Object.keys(answer).sort()).toEqual(taskKeys);
      expect(JSON.stringify(answer)).not.toContain(user.id);
    }
  });

  describe('POST /tasks', () => {
    it('creates a task owned by the caller: 201, Location, ETag, the stored row', async () => {
      const before = Date.now();
      const res = await post({ title: '  Buy milk \t' }).expect(201);
      const task = res.body as ApiTask;
      expect(task).toEqual({
        id: expect.stringMatching(UUID),
        title: 'Buy milk',
        description: null,
        completed: false,
        createdAt: expect.stringMatching(ISO_MS),
        updatedAt: expect.stringMatching(ISO_MS),
        version: 1,
      });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers.location).toBe(`/tasks/${task.id}`);
      expect(res.headers.etag).toBe('"1"');
      expect(Date.parse(task.createdAt)).toBeGreaterThanOrEqual(before - 1);
      expect(task.updatedAt).toBe(task.createdAt);
      const row = await taskRow(t.db, task.id);
      expect(row).toMatchObject({ user_id: user.id, title: 'Buy milk', description: null, completed: false, version: 1 });
      expect((row?.created_at as Date).toISOString()).toBe(task.createdAt);
    });

    it('stores description and completed as given', async () => {
      const task = await createTask(t.http, user, { title: 'x', description: '  keep my spaces  ', completed: true });
      expect(task).toMatchObject({ title: 'x', description: '  keep my spaces  ', completed: true });
      expect(await taskRow(t.db, task.id)).toMatchObject({ description: '  keep my spaces  ', completed: true });
    });

    it('accepts description: null', async () => {
      expect((await createTask(t.http, user, { title: 'x', description: null })).description).toBeNull();
    });

    it.each([
      ['200 letters', 'a'.repeat(200)],
      ['200 letters inside spaces', `   ${'b'.repeat(200)}   `],
      ['200 astral characters (400 UTF-16 units)', '😀'.repeat(200)],
      ['one character', 'x'],
      ['200 code points with variation selectors', 'a\uFE0F'.repeat(100)],
    ])('accepts a title of %s', async (_name, title) => {
      const task = await createTask(t.http, user, { title });
      expect(task.title).toBe(title.trim());
      const { rows } = await t.db.query<{ n: number }>('select char_length(title)::int as n from tasks where id = $1', [task.id]);
      expect(rows[0].n).toBe(cp(title.trim()));
    });

    it.each([
      ['missing', {}],
      ['null', { title: null }],
      ['empty', { title: '' }],
      ['blank', { title: ' \t\n ' }],
      ['201 letters', { title: 'a'.repeat(201) }],
      ['201 astral characters', { title: '😀'.repeat(201) }],
      ['201 code points with variation selectors', { title: `${'a\uFE0F'.repeat(100)}a` }],
      ['a number', { title: 42 }],
      ['a boolean', { title: true }],
      ['an object', { title: { text: 'x' } }],
      ['an array', { title: ['x'] }],
      ['with a NUL character', { title: 'a\u0000b' }],
    ])('refuses a title that is %s: 400 naming title, nothing written', async (_name, body) => {
      const count = await taskCount(t.db);
      expectInvalid(await post(body), 'title');
      expect(await taskCount(t.db)).toBe(count);
    });

    it('accepts a description of 10000 characters, counted in code points', async () => {
      const task = await createTask(t.http, user, { title: 'x', description: '😀'.repeat(10_000) });
      const { rows } = await t.db.query<{ n: number }>('select char_length(description)::int as n from tasks where id = $1', [task.id]);
      expect(rows[0].n).toBe(10_000);
    });

    it.each([
      ['10001 letters', { title: 'x', description: 'd'.repeat(10_001) }],
      ['10001 astral characters', { title: 'x', description: '😀'.repeat(10_001) }],
      ['10001 code points with variation selectors', { title: 'x', description: `${'a\uFE0F'.repeat(5000)}a` }],
      ['a number', { title: 'x', description: 5 }],
      ['with a NUL character', { title: 'x', description: '\u0000' }],
    ])('refuses a description of %s: 400 naming description', async (_name, body) => {
      const count = await taskCount(t.db);
      expectInvalid(await post(body), 'description');
      expect(await taskCount(t.db)).toBe(count);
    });

    it.each([
      ['null', null],
      ['a string', 'true'],
      ['a number', 1],
    ])('refuses completed that is %s: 400 naming completed', async (_name, completed) => {
      const count = await taskCount(t.db);
      expectInvalid(await post({ title: 'x', completed }), 'completed');
      expect(await taskCount(t.db)).toBe(count);
    });

    it.each([
      ['an array', '[{"title":"x"}]'],
      ['a string', '"x"'],
      ['null', 'null'],
      ['malformed JSON', '{"title":'],
    ])('refuses a body that is %s', async (_name, body) => {
      const count = await taskCount(t.db);
      const res = await request(t.http).post('/tasks').set(user.auth).set('Content-Type', 'application/json').send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(await taskCount(t.db)).toBe(count);
    });

    it('refuses a lone surrogate in a title: 400 naming title', async () => {
      expectInvalid(await request(t.http).post('/tasks').set(user.auth).send({ title: 'half \udc00' }), 'title');
    });

    it('needs a token: 401 with WWW-Authenticate, nothing written', async () => {
      const count = await taskCount(t.db);
      const res = await request(t.http).post('/tasks').send({ title: 'x' }).expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(await taskCount(t.db)).toBe(count);
    });
  });

  describe('GET /tasks/:id', () => {
    it('returns the task with its ETag', async () => {
      const created = await createTask(t.http, user, { title: 'read me', description: 'd' });
      const res = await request(t.http).get(`/tasks/${created.id}`).set(user.auth).expect(200);
      expect(res.body).toEqual(created);
      expect(res.headers.etag).toBe('"1"');
    });

    it('accepts the id in upper case', async () => {
      const created = await createTask(t.http, user);
      const res = await request(t.http).get(`/tasks/${created.id.toUpperCase()}`).set(user.auth).expect(200);
      expect(res.body.id).toBe(created.id);
    });

    it('is 404 problem+json for an unknown id and 400 naming id for a malformed one', async () => {
      const missing = await request(t.http).get(`/tasks/${randomUUID()}`).set(user.auth).expect(404);
      expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(missing.body).toMatchObject({ status: 404 });
      expectInvalid(await request(t.http).get('/tasks/not-a-uuid').set(user.auth), 'id');
    });
  });

  describe('PATCH /tasks/:id', () => {
    let task: ApiTask;
    beforeEach(async () => {
      task = await createTask(t.http, user, { title: 'original', description: 'desc' });
    });

    it('changes the title (trimmed), raises the version, returns the new ETag', async () => {
      const res = await patch(task.id, { title: '  renamed  ' }).expect(200);
      expect(res.body).toMatchObject({ id: task.id, title: 'renamed', description: 'desc', completed: false, version: 2, createdAt: task.createdAt });
      expect(res.body.updatedAt).toMatch(ISO_MS);
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(task.updatedAt));
      expect(res.headers.etag).toBe('"2"');
      expect(await taskRow(t.db, task.id)).toMatchObject({ title: 'renamed', version: 2, user_id: user.id });
      const read = await request(t.http).get(`/tasks/${task.id}`).set(user.auth).expect(200);
      expect(read.body).toEqual(res.body);
      expect(read.headers.etag).toBe('"2"');
    });

    it('clears the description with null and sets completed', async () => {
      const res = await patch(task.id, { description: null, completed: true }).expect(200);
      expect(res.body).toMatchObject({ title: 'original', description: null, completed: true, version: 2 });
      expect(await taskRow(t.db, task.id)).toMatchObject({ description: null, completed: true });
    });

    it('keeps unmentioned fields', async () => {
      await patch(task.id, { completed: true }).expect(200);
      const res = await patch(task.id, { title: 'again' }).expect(200);
      expect(res.body).toMatchObject({ title: 'again', description: 'desc', completed: true, version: 3 });
    });

    it.each([
      ['an empty object', 'body', {}],
      ['title: null', 'title', { title: null }],
      ['a blank title', 'title', { title: '   ' }],
      ['a 201-character title', 'title', { title: 'a'.repeat(201) }],
      ['a title of 201 code points with variation selectors', 'title', { title: `${'a\uFE0F'.repeat(100)}a` }],
      ['completed: null', 'completed', { completed: null }],
      ['completed as a string', 'completed', { completed: 'false' }],
      ['a 10001-character description', 'description', { description: 'd'.repeat(10_001) }],
      ['an unknown field beside a valid one', 'colour', { title: 'ok', colour: 'red' }],
      ['version', 'version', { version: 7 }],
      ['updatedAt', 'updatedAt', { title: 'ok', updatedAt: '2000-01-01T00:00:00.000Z' }],
    ])('refuses %s: 400 naming %s, nothing changed', async (_name, field, body) => {
      const before = await taskRow(t.db, task.id);
      expectInvalid(await patch(task.id, body), field);
      expect(await taskRow(t.db, task.id)).toEqual(before);
    });

    it('refuses a body that is not an object', async () => {
      const before = await taskRow(t.db, task.id);
      await request(t.http).patch(`/tasks/${task.id}`).set(user.auth).set('Content-Type', 'application/json').send('[]').expect(400);
      expect(await taskRow(t.db, task.id)).toEqual(before);
    });

    it('is 404 for an unknown id and 400 for a malformed one', async () => {
      await patch(randomUUID(), { title: 'x' }).expect(404);
      expectInvalid(await patch('123', { title: 'x' }), 'id');
    });
  });

  describe('DELETE /tasks/:id', () => {
    it('deletes: 204 with no body, then 404 everywhere', async () => {
      const task = await createTask(t.http, user);
      const res = await request(t.http).delete(`/tasks/${task.id}`).set(user.auth).expect(204);
      expect(res.text).toBe('');
      expect(await taskRow(t.db, task.id)).toBeUndefined();
      await request(t.http).get(`/tasks/${task.id}`).set(user.auth).expect(404);
      await request(t.http).delete(`/tasks/${task.id}`).set(user.auth).expect(404);
      await patch(task.id, { title: 'x' }).expect(404);
    });

    it('is 400 for a malformed id', async () => {
      expectInvalid(await request(t.http).delete('/tasks/zzz').set(user.auth), 'id');
    });
  });

  describe('preconditions (If-Match, If-None-Match) on GET, PATCH and DELETE', () => {
    let other: RegisteredUser;
    beforeAll(async () => {
      other = await registerUser(t.http);
    });

    const get = (id: string, headers: Record<string, string>) => request(t.http).get(`/tasks/${id}`).set(user.auth).set(headers);
    const remove = (id: string, headers: Record<string, string>) => request(t.http).delete(`/tasks/${id}`).set(user.auth).set(headers);
    const change = (id: string, headers: Record<string, string>) =>
      request(t.http).patch(`/tasks/${id}`).set(user.auth).set(headers).send({ title: 'changed' });
    /** A task of the caller's at version 2 (its ETag is "2"). */
    const taskAtVersion2 = async (): Promise<ApiTask> => {
      const task = await createTask(t.http, user, { title: 'kept' });
      return (await patch(task.id, { title: 'kept' }).expect(200)).body as ApiTask;
    };

    it.each(['"1"', 'W/"2"', '"1", "3"', '"abc"'])('DELETE with If-Match %p (not the current strong ETag "2") is 412 and deletes nothing', async (ifMatch) => {
      const task = await taskAtVersion2();
      const before = await taskRow(t.db, task.id);
      expectProblem(await remove(task.id, { 'If-Match': ifMatch }), 412);
      expect(await taskRow(t.db, task.id)).toEqual(before);
      await get(task.id, {}).expect(200);
    });

    it.each(['"2"', '*', '"1", "2"', 'W/"2", "2"'])('DELETE with If-Match %p (naming the current ETag "2") deletes: 204', async (ifMatch) => {
      const task = await taskAtVersion2();
      await remove(task.id, { 'If-Match': ifMatch }).expect(204);
      expect(await taskRow(t.db, task.id)).toBeUndefined();
    });

    it('a DELETE and a PATCH racing with the same If-Match: exactly one of them acts, the other is refused', async () => {
      for (let round = 0; round < 5; round++) {
        const task = await createTask(t.http, user);
        const [deleted, patched] = await Promise.all([remove(task.id, { 'If-Match': '"1"' }), change(task.id, { 'If-Match': '"1"' })]);
        const row = await taskRow(t.db, task.id);
        if (deleted.status === 204) {
          expect(patched.status).toBe(404); // it came second: the task was gone
          expect(row).toBeUndefined();
        } else {
          expect({ deleted: deleted.status, patched: patched.status }).toEqual({ deleted: 412, patched: 200 });
          expect(row).toMatchObject({ title: 'changed', version: 2 });
        }
      }
    });

    it.each(['"2"', 'W/"2"', '*', '"7", "2"', 'W/"7", W/"2"', ' , "2" ,'])(
      'GET with If-None-Match %p (listing the current ETag, weak comparison) is 304 with the ETag and no body',
      async (ifNoneMatch) => {
        const task = await taskAtVersion2();
        const res = await get(task.id, { 'If-None-Match': ifNoneMatch }).expect(304);
        expect(res.headers.etag).toBe('"2"');
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.text ?? '').toBe('');
        expect(res.headers['content-length'] ?? '0').toBe('0');
        expect(res.headers['content-type']).toBeUndefined();
      },
    );

    it.each(['"1"', 'W/"1"', '"abc"', '"3", W/"4"'])('GET with If-None-Match %p (not listing the current ETag) is 200 with the task', async (ifNoneMatch) => {
      const task = await taskAtVersion2();
      const res = await get(task.id, { 'If-None-Match': ifNoneMatch }).expect(200);
      expect(res.body).toEqual(task);
      expect(res.headers.etag).toBe('"2"');
    });

    it('GET with the ETag of a copy that has since changed is 200 with the new version', async () => {
      const task = await createTask(t.http, user, { title: 'v1' });
      await get(task.id, { 'If-None-Match': '"1"' }).expect(304);
      await patch(task.id, { title: 'v2' }).expect(200);
      const res = await get(task.id, { 'If-None-Match': '"1"' }).expect(200);
      expect(res.body).toMatchObject({ title: 'v2', version: 2 });
      expect(res.headers.etag).toBe('"2"');
    });

    it('GET honours If-Match as PATCH does: 412 for a stale or weak tag, 200 for the current one', async () => {
      const task = await taskAtVersion2();
      expectProblem(await get(task.id, { 'If-Match': '"1"' }), 412);
      expectProblem(await get(task.id, { 'If-Match': 'W/"2"' }), 412);
      await get(task.id, { 'If-Match': '"2"' }).expect(200);
      // If-Match is evaluated first: a false one is 412 even when If-None-Match would give 304
      expectProblem(await get(task.id, { 'If-Match': '"1"', 'If-None-Match': '"2"' }), 412);
    });

    it.each([
      ['PATCH', '*'],
      ['PATCH', '"2"'],
      ['PATCH', 'W/"2"'],
      ['DELETE', '*'],
      ['DELETE', '"2"'],
      ['DELETE', '"7", W/"2"'],
    ])('%s with If-None-Match %p on an existing task (at "2") is 412 and changes nothing', async (method, ifNoneMatch) => {
      const task = await taskAtVersion2();
      const before = await taskRow(t.db, task.id);
      const call = method === 'PATCH' ? change : remove;
      const res = await call(task.id, { 'If-None-Match': ifNoneMatch });
      expectProblem(res, 412);
      expect(res.body.detail).toMatch(/If-None-Match/);
      expect(await taskRow(t.db, task.id)).toEqual(before);
    });

    it('PATCH and DELETE with an If-None-Match that does not list the current ETag go ahead', async () => {
      const task = await taskAtVersion2();
      const patched = await change(task.id, { 'If-None-Match': '"1", W/"3"' }).expect(200);
      expect(patched.headers.etag).toBe('"3"');
      await remove(task.id, { 'If-Match': '"3"', 'If-None-Match': '"1"' }).expect(204);
      expect(await taskRow(t.db, task.id)).toBeUndefined();
    });

    it.each([
      ['If-Match', '"1"'],
      ['If-Match', '*'],
      ['If-Match', 'W/"1"'],
      ['If-None-Match', '*'],
      ['If-None-Match', '"1"'],
      ['If-None-Match', '"99"'],
    ])("a missing or another user's task is 404 before %s %p is looked at, on GET, PATCH and DELETE", async (header, value) => {
      const theirs = await createTask(t.http, other, { title: 'not yours' });
      const before = await taskRow(t.db, theirs.id);
      for (const id of [theirs.id, randomUUID()]) {
        expectProblem(await get(id, { [header]: value }), 404);
        expectProblem(await change(id, { [header]: value }), 404);
        expectProblem(await remove(id, { [header]: value }), 404);
      }
      expect(await taskRow(t.db, theirs.id)).toEqual(before);
    });

    it.each(['3', 'garbage', '"1', '*, "1"', '', 'w/"1"'])('If-None-Match %p is 400 naming the header on GET, PATCH and DELETE; nothing changes', async (ifNoneMatch) => {
      const task = await taskAtVersion2();
      const before = await taskRow(t.db, task.id);
      for (const call of [get, change, remove]) expectInvalid(await call(task.id, { 'If-None-Match': ifNoneMatch }), 'If-None-Match');
      expect(await taskRow(t.db, task.id)).toEqual(before);
    });

    it.each(['3', 'garbage', ''])('If-Match %p is 400 naming the header on DELETE; nothing is deleted', async (ifMatch) => {
      const task = await taskAtVersion2();
      expectInvalid(await remove(task.id, { 'If-Match': ifMatch }), 'If-Match');
      expect(await taskRow(t.db, task.id)).toBeDefined();
    });

    it.each(['3', 'garbage', '"1', '*, "1"', ''])('If-Match %p is 400 naming the header on PATCH, and nothing is written', async (ifMatch) => {
      const task = await createTask(t.http, user, { title: 'kept' });
      expectInvalid(await change(task.id, { 'If-Match': ifMatch }), 'If-Match');
      expect((await request(t.http).get(`/tasks/${task.id}`).set(user.auth).expect(200)).body).toMatchObject({ title: 'kept', version: 1 });
    });

    it('a weak If-Match never matches on PATCH, even of the current version: 412 that says why', async () => {
      const task = await createTask(t.http, user, { title: 'kept' });
      const res = await change(task.id, { 'If-Match': 'W/"1"' });
      expectProblem(res, 412);
      expect(res.body.detail).toMatch(/weak/i);
      expect(res.body.detail).toMatch(/never match/i);
      expect((await request(t.http).get(`/tasks/${task.id}`).set(user.auth).expect(200)).body).toMatchObject({ title: 'kept', version: 1 });
    });

    it('a weak If-Match on a missing task is still 404, and a stale strong tag still says the task has changed', async () => {
      await change('00000000-0000-4000-8000-000000000000', { 'If-Match': 'W/"1"' }).expect(404);
      const task = await createTask(t.http, user);
      const res = await change(task.id, { 'If-Match': '"7"' });
      expectProblem(res, 412);
      expect(res.body.detail).not.toMatch(/weak/i);
    });
  });

  describe('GET /tasks', () => {
    let lister: RegisteredUser;
    let created: ApiTask[];

    beforeAll(async () => {
      lister = await registerUser(t.http);
      created = [];
      for (let i = 0; i < 25; i++) created.push(await createTask(t.http, lister, { title: `task ${i}`, completed: i % 3 === 0 }));
    });

    const list = (query: string) => request(t.http).get(`/tasks${query}`).set(lister.auth);

    it('is an empty page for a user without tasks', async () => {
      const empty = await registerUser(t.http);
      const res = await request(t.http).get('/tasks').set(empty.auth).expect(200);
      expect(res.body).toEqual({ items: [], nextCursor: null });
    });

    it('returns 20 newest first by default, then the rest', async () => {
      const first = await list('').expect(200);
      expect(first.body.items).toHaveLength(20);
      expect(typeof first.body.nextCursor).toBe('string');
      const second = await list(`?cursor=${first.body.nextCursor}`).expect(200);
      expect(second.body.items).toHaveLength(5);
      expect(second.body.nextCursor).toBeNull();
      // created one after the other: the newest is the last created
      expect([...first.body.items, ...second.body.items].map((i: ApiTask) => i.id)).toEqual([...created].reverse().map((c) => c.id));
      expect(first.body.items[0]).toEqual(created[24]);
    });

    it.each(['1', '100', '25', '001'])('accepts limit=%s', async (limit) => {
      const res = await list(`?limit=${limit}`).expect(200);
      expect(res.body.items).toHaveLength(Math.min(Number(limit), 25));
      expect(res.body.nextCursor === null).toBe(Number(limit) >= 25);
    });

    it.each(['0', '101', '-1', '1.5', '1e1', 'abc', '', ' 5', '0x10', '99999'])('refuses limit=%p: 400 naming limit', async (limit) => {
      expectInvalid(await list(`?limit=${encodeURIComponent(limit)}`), 'limit');
    });

    it('refuses a repeated parameter', async () => {
      expectInvalid(await list('?limit=5&limit=6'), 'limit');
      expectInvalid(await list('?completed=true&completed=false'), 'completed');
    });

    it.each(['true', 'false'])('filters completed=%s', async (value) => {
      const items = await listAll(t.http, lister, { completed: value, limit: 4 });
      const want = [...created].reverse().filter((c) => c.completed === (value === 'true'));
      expect(items.map((i) => i.id)).toEqual(want.map((c) => c.id));
    });

    it.each(['TRUE', 'yes', '1', '0', '', 'null'])('refuses completed=%p: 400 naming completed', async (value) => {
      expectInvalid(await list(`?completed=${value}`), 'completed');
    });

    it.each([
      ['garbage', 'not a cursor!'],
      ['empty', ''],
      ['base64 of something else', Buffer.from('{"a":1}').toString('base64url')],
      ['a tampered cursor', 'WyIyMDI1LTAxLTAyVDAzOjA0OjA1LjY3OFoiLCJub3QtYS11dWlkIl0'],
      ['overlong', 'A'.repeat(5000)],
    ])('refuses a cursor that is %s: 400 naming cursor, never 500', async (_name, cursor) => {
      expectInvalid(await list(`?cursor=${encodeURIComponent(cursor)}`), 'cursor');
    });

    /** A cursor as this service writes them (base64url of [createdAt, id]) at the given instant. */
    const cursorAt = (createdAt: string) => Buffer.from(JSON.stringify([createdAt, randomUUID()])).toString('base64url');

    it.each(['0000-01-01T00:00:00.000Z', '0000-12-31T23:59:59.999Z'])(
      'refuses a well-formed cursor at %s (year 0, which PostgreSQL cannot store): 400 naming cursor',
      async (createdAt) => {
        const res = await list(`?cursor=${cursorAt(createdAt)}`);
        expectInvalid(res, 'cursor');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
      },
    );

    it.each([
      ['0001-01-01T00:00:00.000Z', 0],
      ['9999-12-31T23:59:59.999Z', 20],
    ])('pages from a cursor at %s, the edge of what a cursor can carry', async (createdAt, count) => {
      const res = await list(`?cursor=${cursorAt(createdAt)}`).expect(200);
      expect(res.body.items).toHaveLength(count);
    });

    it('refuses an unknown query parameter', async () => {
      expectInvalid(await list('?userId=someone'), 'userId');
    });

    it('needs a token', async () => {
      await request(t.http).get('/tasks').expect(401);
    });
  });
});
