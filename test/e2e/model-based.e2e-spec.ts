import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { type ApiTask, listPages, newestFirst } from '../support/tasks';
import { createTestApp, registerUser, type RegisteredUser, type TestApp } from '../support/test-app';

/**
 * Model-based test: several users issue random sequences of create/list/get/patch/delete in parallel,
 * aiming some of them at other users' tasks. Each user's in-memory model predicts every answer; at the end
 * each user's full paginated list equals the model exactly and no task is left without an owner.
 */

type TargetKind = 'own' | 'ownDeleted' | 'foreign' | 'random';
interface Target {
  kind: TargetKind;
  pick: number;
}
type Changes = { title?: string; description?: string | null; completed?: boolean };
type Command =
  | { kind: 'create'; title: string; description?: string | null; completed?: boolean }
  | { kind: 'list'; limit: number; completed?: boolean }
  | { kind: 'get'; target: Target }
  | { kind: 'patch'; target: Target; changes: Changes; ifMatch: 'none' | 'current' | 'stale' | 'any' }
  | { kind: 'delete'; target: Target };

const USERS = 4;
const noNul = (s: string) => !s.includes('\u0000');
const title = fc
  .oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), fc.constant('  padded  '))
  .filter((s) => s.trim().length > 0 && noNul(s));
const description = fc.oneof(fc.constant(null), fc.string({ maxLength: 40 }).filter(noNul), fc.string({ unit: 'grapheme', maxLength: 6 }).filter(noNul));
const target = fc.record({ kind: fc.constantFrom<TargetKind>('own', 'own', 'own', 'ownDeleted', 'foreign', 'foreign', 'random'), pick: fc.nat() });
const changes = fc
  .record({ title, description, completed: fc.boolean() }, { requiredKeys: [] })
  .filter((c) => Object.keys(c).length > 0);

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('create' as const), title, description, completed: fc.boolean() }, { requiredKeys: ['kind', 'title'] }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('list' as const), limit: fc.integer({ min: 1, max: 7 }), completed: fc.boolean() }, { requiredKeys: ['kind', 'limit'] }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), target }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('patch' as const), target, changes, ifMatch: fc.constantFrom('none' as const, 'current' as const, 'stale' as const, 'any' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), target }) },
);

/** One user's view: the tasks it owns, as the API must return them. */
class Model {
  readonly tasks = new Map<string, ApiTask>();
  readonly deleted: string[] = [];

  ordered(completed?: boolean): ApiTask[] {
    return [...this.tasks.values()].filter((task) => completed === undefined || task.completed === completed).sort(newestFirst);
  }
}

describe('tasks API against an in-memory model (fast-check, users in parallel)', () => {
  let t: TestApp;
  let users: RegisteredUser[];

  beforeAll(async () => {
    t = await createTestApp();
    users = await Promise.all(Array.from({ length: USERS }, () => registerUser(t.http)));
  });

  afterAll(async () => {
    await t.close();
  });

  /** Runs one user's commands in order, checking each answer against that user's model. */
  async function runUser(user: RegisteredUser, model: Model, commands: Command[], foreignPool: Map<string, string>): Promise<void> {
    const resolve = (which: Target): string => {
      const own = [...model.tasks.keys()];
      const foreign = [...foreignPool].filter(([, owner]) => owner !== user.id).map(([id]) => id);
      const from = which.kind === 'own' ? own : which.kind === 'ownDeleted' ? model.deleted : which.kind === 'foreign' ? foreign : [];
      return from.length > 0 ? from[which.pick % from.length] : randomUUID();
    };

    for (const cmd of commands) {
      switch (cmd.kind) {
        case 'create': {
          const { kind: _kind, ...body } = cmd;
          const res = await request(t.http).post('/tasks').set(user.auth).send(body);
          expect(res.status).toBe(201);
          expect(res.body).toMatchObject({ title: cmd.title.trim(), description: cmd.description ?? null, completed: cmd.completed ?? false, version: 1 });
          expect(res.headers.etag).toBe('"1"');
          model.tasks.set(res.body.id, res.body);
          foreignPool.set(res.body.id, user.id);
          break;
        }
        case 'list': {
          const query = { limit: cmd.limit, ...(cmd.completed === undefined ? {} : { completed: cmd.completed }) };
          const items = (await listPages(t.http, user, query)).flat();
          expect(items).toEqual(model.ordered(cmd.completed));
          break;
        }
        case 'get': {
          const id = resolve(cmd.target);
          const res = await request(t.http).get(`/tasks/${id}`).set(user.auth);
          const expected = model.tasks.get(id);
          expect(res.status).toBe(expected ? 200 : 404);
          if (expected) {
            expect(res.body).toEqual(expected);
            expect(res.headers.etag).toBe(`"${expected.version}"`);
          }
          break;
        }
        case 'patch': {
          const id = resolve(cmd.target);
          const current = model.tasks.get(id);
          const version = current?.version ?? 1;
          const ifMatch = { none: undefined, current: `"${version}"`, stale: `"${version + 1}"`, any: '*' }[cmd.ifMatch];
          const req = request(t.http).patch(`/tasks/${id}`).set(user.auth);
          const res = await (ifMatch === undefined ? req : req.set('If-Match', ifMatch)).send(cmd.changes);
          if (!current) {
            expect(res.status).toBe(404);
          } else if (cmd.ifMatch === 'stale') {
            expect(res.status).toBe(412);
          } else {
            expect(res.status).toBe(200);
            const next: ApiTask = {
              ...current,
              ...cmd.changes,
              ...(cmd.changes.title === undefined ? {} : { title: cmd.changes.title.trim() }),
              version: current.version + 1,
              updatedAt: res.body.updatedAt,
            };
            expect(Date.parse(next.updatedAt)).toBeGreaterThanOrEqual(Date.parse(current.updatedAt));
            expect(res.body).toEqual(next);
            expect(res.headers.etag).toBe(`"${next.version}"`);
            model.tasks.set(id, next);
          }
          break;
        }
        case 'delete': {
          const id = resolve(cmd.target);
          const res = await request(t.http).delete(`/tasks/${id}`).set(user.auth);
          expect(res.status).toBe(model.tasks.has(id) ? 204 : 404);
          if (model.tasks.delete(id)) model.deleted.push(id);
          break;
        }
      }
    }
  }

  it('every answer and every final list match the model; no task is orphaned', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(command, { maxLength: 14 }), { minLength: USERS, maxLength: USERS }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: USERS, maxLength: USERS }), async (scripts, finalLimits) => {
        // every run starts from empty lists
        await t.db.query('delete from tasks where user_id = any($1::uuid[])', [users.map((u) => u.id)]);
        const models = users.map(() => new Model());
        const pool = new Map<string, string>(); // task id -> owner, shared by every user's script
        await Promise.all(users.map((user, i) => runUser(user, models[i], scripts[i], pool)));

        for (const [i, user] of users.entries()) {
          const pages = await listPages(t.http, user, { limit: finalLimits[i] });
          expect(pages.flat()).toEqual(models[i].ordered());
          const { rows } = await t.db.query<{ id: string; title: string; version: number }>('select id, title, version from tasks where user_id = $1', [user.id]);
          expect(new Map(rows.map((r) => [r.id, [r.title, r.version]]))).toEqual(new Map(models[i].ordered().map((m) => [m.id, [m.title, m.version]])));
        }
        const orphans = await t.db.query<{ n: number }>('select count(*)::int as n from tasks t left join users u on u.id = t.user_id where u.id is null');
        expect(orphans.rows[0].n).toBe(0);
      }),
      // bounded: about a dozen runs of up to 56 parallel commands; no shrinking loop on failure (the counterexample is printed)
      { numRuns: 12, endOnFailure: true },
    );
  });
});
