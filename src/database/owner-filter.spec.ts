import { randomUUID } from 'node:crypto';
import { ForeignKeyConstraintViolationException, MikroORM } from '@mikro-orm/postgresql';
import { taskRow } from '../../test/support/tasks';
import type { RegisteredUser, TestApp } from '../../test/support/test-app';
import { useTwoOwners } from '../../test/support/two-owners';
import { Task } from '../tasks/task.entity';
import { User } from '../users/user.entity';
import { MissingOwnerError, OWNER_FILTER, ownerCondition, ownerFilter, ownerParams } from './owner-filter';

const A_UUID = '0b6f4f2e-5d0c-4b8e-9a3e-1f2d3c4b5a69';
/** Either MikroORM's own "No arguments provided for filter 'owner'" or the condition's MissingOwnerError. */
const FAILS_CLOSED = /owner/;

describe(ownerCondition.name, () => {
  const sut = ownerCondition;

  it('restricts to the given user', () => {
    expect(sut({ userId: A_UUID })).toEqual({ user: A_UUID });
  });

  it.each([
    ['no params', undefined],
    ['an empty object', {}],
    ['an undefined userId', { userId: undefined }],
    ['a null userId', { userId: null }],
    ['an empty userId', { userId: '' }],
    ['a blank userId', { userId: ' ' }],
    ['a padded uuid', { userId: ` ${A_UUID}` }],
    ['a number', { userId: 42 }],
    ['an operator object', { userId: { $ne: null } }],
    ['an array of uuids', { userId: [A_UUID] }],
  ])('refuses %s: no default can ever show every row', (_name, params) => {
    expect(() => sut(params as never)).toThrow(MissingOwnerError);
  });
});

describe(ownerParams.name, () => {
  it('takes a user id', () => {
    expect(ownerParams(A_UUID)).toEqual({ userId: A_UUID });
  });

  it.each([['a non-uuid', 'someone'], ['a padded uuid', ` ${A_UUID}`], ['nothing', undefined], ['a number', 42], ['an injection', "' or 1=1 --"]])(
    'refuses %s: only a user id is an owner',
    (_name, userId) => {
      expect(() => ownerParams(userId)).toThrow(MissingOwnerError);
    },
  );
});

describe(`${ownerFilter.name} filter on the application's ORM`, () => {
  const owners = useTwoOwners();
  const { bare, as } = owners;
  let t: TestApp, orm: MikroORM, alice: RegisteredUser, bob: RegisteredUser, aliceTasks: string[], bobTasks: string[];
  beforeAll(() => ({ t, orm, alice, bob, aliceTasks, bobTasks } = owners));

  it('is declared on Task, on by default, and made its row-level security policy', () => {
    expect(orm.getMetadata().get(Task).filters[OWNER_FILTER]).toMatchObject({ cond: ownerCondition, default: true, rls: true });
  });

  describe('without an owner (fails closed)', () => {
    it('refuses find, findOne, findOneOrFail, findAll, findAndCount and count', async () => {
      await expect(bare().find(Task, {})).rejects.toThrow(FAILS_CLOSED);
      await expect(bare().findOne(Task, { id: bobTasks[0] })).rejects.toThrow(FAILS_CLOSED);
      await expect(bare().findOneOrFail(Task, { id: bobTasks[0] })).rejects.toThrow(FAILS_CLOSED);
      await expect(bare().findAll(Task)).rejects.toThrow(FAILS_CLOSED);
      await expect(bare().findAndCount(Task, {})).rejects.toThrow(FAILS_CLOSED);
      await expect(bare().count(Task, {})).rejects.toThrow(FAILS_CLOSED);
    });

    it('refuses nativeUpdate and nativeDelete, and nothing is written', async () => {
      const before = await taskRow(t.db, bobTasks[0]);
      await expect(bare().nativeUpdate(Task, { id: bobTasks[0] }, { title: 'taken over' })).rejects.toThrow(FAILS_CLOSED);
      await expect(bare().nativeDelete(Task, { id: bobTasks[0] })).rejects.toThrow(FAILS_CLOSED);
      await expect(bare().nativeDelete(Task, {})).rejects.toThrow(FAILS_CLOSED);
      expect(await taskRow(t.db, bobTasks[0])).toEqual(before);
      const { rows } = await t.db.query<{ n: number }>('select count(*)::int as n from tasks');
      expect(rows[0].n).toBe(aliceTasks.length + bobTasks.length);
    });

    it("refuses to populate a user's tasks", async () => {
      await expect(bare().findOne(User, { id: bob.id }, { populate: ['tasks'] })).rejects.toThrow(FAILS_CLOSED);
      const em = bare();
      const user = await em.findOneOrFail(User, { id: bob.id });
      await expect(em.populate(user, ['tasks'])).rejects.toThrow(FAILS_CLOSED);
      await expect(user.tasks.init()).rejects.toThrow(FAILS_CLOSED);
      await expect(user.tasks.loadCount()).rejects.toThrow(FAILS_CLOSED);
    });

    it("refuses every method of the tasks repository, and creates nothing", async () => {
      const repo = bare().getRepository(Task);
      await expect(repo.page(undefined, undefined, 10)).rejects.toThrow(FAILS_CLOSED);
      await expect(repo.findOne({ id: bobTasks[0] })).rejects.toThrow(FAILS_CLOSED);
      // reads and updates: MikroORM's filter machinery refuses (applyFilters); the insert: the filter's own condition
      await expect(repo.findOwned(bobTasks[0])).rejects.toThrow(FAILS_CLOSED);
      await expect(repo.updateOwned(bobTasks[0], { title: 'taken over' })).rejects.toThrow(FAILS_CLOSED);
      await expect(repo.deleteOwned(bobTasks[0])).rejects.toThrow(FAILS_CLOSED);
      await expect(repo.createOwned({ title: 'orphan?' })).rejects.toThrow(MissingOwnerError);
      const { rows } = await t.db.query<{ n: number }>("select count(*)::int as n from tasks where title in ('orphan?', 'taken over')");
      expect(rows[0].n).toBe(0);
    });

    it.each([
      ['an empty object', {}],
      ['an empty userId', { userId: '' }],
      ['an undefined userId', { userId: undefined }],
    ])('refuses a parameter that is %s', async (_name, params) => {
      const em = bare();
      em.setFilterParams(OWNER_FILTER, params);
      await expect(em.find(Task, {})).rejects.toThrow(MissingOwnerError);
      await expect(em.count(Task, {})).rejects.toThrow(MissingOwnerError);
    });

    it('refuses a parameter that is not a user id: the database does not take it as one', async () => {
      const em = bare();
      em.setFilterParams(OWNER_FILTER, { userId: "' or 1=1 --" });
      await expect(em.find(Task, {})).rejects.toThrow();
      await expect(em.count(Task, {})).rejects.toThrow();
    });

    it("keeps one fork's owner out of every other EntityManager", async () => {
      expect(await as(alice).count(Task, {})).toBe(aliceTasks.length);
      await expect(bare().count(Task, {})).rejects.toThrow(FAILS_CLOSED);
      await expect(orm.em.fork().count(Task, {})).rejects.toThrow(FAILS_CLOSED);
    });
  });

  describe("with an owner, only that owner's rows", () => {
    it('find and findAll return exactly the owner\'s tasks', async () => {
      expect((await as(alice).find(Task, {})).map((task) => task.id).sort()).toEqual([...aliceTasks].sort());
      expect((await as(bob).findAll(Task)).map((task) => task.id).sort()).toEqual([...bobTasks].sort());
    });

    it("findOne of another user's task is null, as for a missing one", async () => {
      expect(await as(alice).findOne(Task, { id: bobTasks[0] })).toBeNull();
      expect(await as(alice).findOne(Task, { id: randomUUID() })).toBeNull();
      expect((await as(bob).findOne(Task, { id: bobTasks[0] }))?.id).toBe(bobTasks[0]);
    });

    it('an explicit condition on another user cannot widen it', async () => {
      expect(await as(alice).find(Task, { user: bob.id })).toEqual([]);
      expect(await as(alice).count(Task, { $or: [{ user: bob.id }, { id: { $ne: null } }] })).toBe(aliceTasks.length);
    });

    it("the repository's reads return only the owner's tasks, as plain data (not managed entities) with millisecond Dates", async () => {
      const repo = as(alice).getRepository(Task);
      expect(await repo.findOwned(bobTasks[0])).toBeUndefined();
      const own = await repo.findOwned(aliceTasks[0]);
      expect(own).toMatchObject({ id: aliceTasks[0], version: expect.any(Number) });
      expect(own).not.toBeInstanceOf(Task);
      expect(own?.createdAt).toBeInstanceOf(Date);
      expect(own?.createdAt.toISOString()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect((await repo.page(undefined, undefined, 100)).map((task) => task.id).sort()).toEqual([...aliceTasks].sort());
      expect(await as(alice).getRepository(Task).updateOwned(bobTasks[0], { title: 'taken over' })).toBeUndefined();
    });

    it("the repository's statements join the EntityManager's transaction, and roll back with it", async () => {
      await expect(
        as(alice).transactional(async (em) => {
          const repo = em.getRepository(Task);
          const task = await repo.createOwned({ title: 'rolled back' });
          expect(await repo.findOwned(task.id)).toMatchObject({ title: 'rolled back' }); // the same connection sees it
          expect(await repo.updateOwned(task.id, { completed: true })).toMatchObject({ completed: true, version: 2 });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      const { rows } = await t.db.query<{ n: number }>("select count(*)::int as n from tasks where title = 'rolled back'");
      expect(rows[0].n).toBe(0);
    });

    it("the repository's statements fail with MikroORM's own exceptions (here: an owner that does not exist)", async () => {
      const em = bare();
      em.setFilterParams(OWNER_FILTER, { userId: randomUUID() });
      await expect(em.getRepository(Task).createOwned({ title: 'nobody' })).rejects.toBeInstanceOf(ForeignKeyConstraintViolationException);
    });

    it('count counts only the owner\'s tasks', async () => {
      expect(await as(alice).count(Task, {})).toBe(aliceTasks.length);
      expect(await as(bob).count(Task, {})).toBe(bobTasks.length);
    });

    it("nativeUpdate and nativeDelete leave another user's rows alone", async () => {
      const before = await taskRow(t.db, bobTasks[1]);
      expect(await as(alice).nativeUpdate(Task, { id: bobTasks[1] }, { title: 'taken over' })).toBe(0);
      expect(await as(alice).nativeDelete(Task, { id: bobTasks[1] })).toBe(0);
      expect(await taskRow(t.db, bobTasks[1])).toEqual(before);
      // and do reach the owner's own
      expect(await as(bob).nativeUpdate(Task, { id: bobTasks[1] }, { title: 'renamed by bob' })).toBe(1);
      expect((await taskRow(t.db, bobTasks[1]))?.title).toBe('renamed by bob');
    });

    it("filters a populated user's tasks", async () => {
      const own = await as(alice).findOneOrFail(User, { id: alice.id }, { populate: ['tasks'] });
      expect(own.tasks.getItems().map((task) => task.id).sort()).toEqual([...aliceTasks].sort());
      const other = await as(alice).findOneOrFail(User, { id: bob.id }, { populate: ['tasks'] });
      expect(other.tasks.getItems()).toEqual([]);
      const em = as(alice);
      const lazy = await em.findOneOrFail(User, { id: bob.id });
      expect((await lazy.tasks.init()).getItems()).toEqual([]);
      expect(await lazy.tasks.loadCount()).toBe(0);
    });
  });
});
