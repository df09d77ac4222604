import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { createTestApp, registerUser, type RegisteredUser, type TestApp } from '../../test/support/test-app';
import { OWNER_FILTER } from '../database/owner-filter';
import { Task } from './task.entity';
import { TaskRepository } from './task.repository';

/** A whole snapshot of the tasks table, to show that a call changed nothing. */
type Snapshot = Record<string, unknown>[];

/**
 * Every public method of the tasks data-access layer, called the way a request of another user would call it:
 * `victim` is a task of someone else.
 */
const CALLS: Record<string, (repo: TaskRepository, victim: string) => Promise<unknown>> = {
  createOwned: (repo) => repo.createOwned({ title: 'created by the caller' }),
  findOwned: (repo, victim) => repo.findOwned(victim),
  page: (repo) => repo.page(undefined, undefined, 100),
  updateOwned: (repo, victim) => repo.updateOwned(victim, { title: 'taken over', completed: true }),
  deleteOwned: (repo, victim) => repo.deleteOwned(victim),
};

/** What a call on one task answers when that task is not the caller's: the same as for a missing one. */
const NOT_FOUND: Record<string, unknown> = { findOwned: undefined, updateOwned: undefined, deleteOwned: false };

/** The class's own public methods (its helpers are #private, so they are not on the prototype). */
function publicMethods(): string[] {
  return Object.getOwnPropertyNames(TaskRepository.prototype).filter((name) => name !== 'constructor').sort();
}

describe(TaskRepository.name, () => {
  let t: TestApp;
  let orm: MikroORM;
  let owner: RegisteredUser;
  let other: RegisteredUser;
  let victim: string;

  const repoAs = (user: RegisteredUser | undefined): TaskRepository => {
    const em = orm.em.fork() as EntityManager;
    if (user) em.setFilterParams(OWNER_FILTER, { userId: user.id });
    return em.getRepository(Task);
  };
  const snapshot = async (): Promise<Snapshot> => (await t.db.query('select * from tasks order by id')).rows;

  beforeAll(async () => {
    t = await createTestApp();
    orm = t.app.get(MikroORM);
    [owner, other] = await Promise.all([registerUser(t.http), registerUser(t.http)]);
    victim = (await repoAs(owner).createOwned({ title: 'the owner’s', description: 'kept' })).id;
  });
  afterAll(() => t.close());

  it('covers every public method (add a new one to CALLS: it must pass both tests below)', () => {
    expect(publicMethods()).toEqual(Object.keys(CALLS).sort());
  });

  describe.each(Object.keys(CALLS))('%s', (method) => {
    it("with another user's id set, finds, changes and deletes nothing of the owner's", async () => {
      const before = await snapshot();
      const result = await CALLS[method](repoAs(other), victim);
      const after = await snapshot();
      // what the call returned holds nothing of the owner's
      expect(JSON.stringify(result ?? null)).not.toContain(victim);
      if (method === 'createOwned') {
        // the only row added belongs to the caller, whatever the call was given
        const added = after.filter((row) => !before.some((old) => old.id === row.id));
        expect(added.map((row) => row.user_id)).toEqual([other.id]);
        expect(after.filter((row) => before.some((old) => old.id === row.id))).toEqual(before);
      } else {
        expect(after).toEqual(before);
      }
      if (method in NOT_FOUND) expect(result).toBe(NOT_FOUND[method]);
    });

    it('with no owner set, throws the fail-closed error and writes nothing', async () => {
      const before = await snapshot();
      await expect(CALLS[method](repoAs(undefined), victim)).rejects.toThrow(/owner/);
      expect(await snapshot()).toEqual(before);
    });
  });

  it('creates with the owner from the filter parameter, not from anything given', async () => {
    const changes = { title: 'mine', user: other.id, userId: other.id } as unknown as Parameters<TaskRepository['createOwned']>[0];
    const created = await repoAs(owner).createOwned(changes);
    const { rows } = await t.db.query('select user_id from tasks where id = $1', [created.id]);
    expect(rows).toEqual([{ user_id: owner.id }]);
  });

  it('refuses an insert whose owner parameter is not a user id, and writes nothing', async () => {
    const em = orm.em.fork() as EntityManager;
    em.setFilterParams(OWNER_FILTER, { userId: "' or 1=1 --" });
    await expect(em.getRepository(Task).createOwned({ title: 'not a user id' })).rejects.toThrow();
    const { rows } = await t.db.query("select count(*)::int as n from tasks where title = 'not a user id'");
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('answers create and update with the row as stored (database defaults and the raised version)', async () => {
    const repo = repoAs(owner);
    const created = await repo.createOwned({ title: 'stored' });
    const { rows } = await t.db.query('select * from tasks where id = $1', [created.id]);
    expect(created).toEqual({
      id: rows[0].id, user: owner.id, title: 'stored', description: null, completed: false, version: 1, createdAt: rows[0].created_at, updatedAt: rows[0].updated_at,
    });
    const updated = await repo.updateOwned(created.id, { completed: true });
    const after = (await t.db.query('select * from tasks where id = $1', [created.id])).rows[0];
    expect(updated).toMatchObject({ completed: true, version: 2, updatedAt: after.updated_at });
  });
});
