import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { taskRow } from '../../test/support/tasks';
import type { RegisteredUser, TestApp } from '../../test/support/test-app';
import { useTwoOwners } from '../../test/support/two-owners';
import { Task } from '../tasks/task.entity';
import { OWNER_FILTER } from './owner-filter';

/**
 * The database's own layer: the row-level security policy generated from the owner filter holds whatever the ORM
 * does, for the service's role (an ordinary role that owns the database, as the tests connect).
 */
describe('the owner policy in the database (row-level security)', () => {
  const owners = useTwoOwners();
  const { bare, as } = owners;
  let t: TestApp, alice: RegisteredUser, bob: RegisteredUser, aliceTasks: string[], bobTasks: string[];
  beforeAll(() => ({ t, alice, bob, aliceTasks, bobTasks } = owners));

  it('a QueryBuilder on Task without applyFilters() sees only the owner\'s rows', async () => {
    expect(await as(alice).createQueryBuilder(Task).select('id').where({ id: bobTasks[0] }).execute('all')).toEqual([]);
    const all = await as(alice).createQueryBuilder(Task).select('id').execute('all');
    expect(all.map((row) => row.id).sort()).toEqual([...aliceTasks].sort());
  });

  it('the ORM with its filters switched off sees only the owner\'s rows, and changes no other\'s', async () => {
    const off = { filters: { [OWNER_FILTER]: false } };
    expect(await as(alice).count(Task, {}, off)).toBe(aliceTasks.length);
    expect(await as(alice).find(Task, { id: bobTasks[0] }, off)).toEqual([]);
    const before = await taskRow(t.db, bobTasks[0]);
    expect(await as(alice).nativeUpdate(Task, { id: bobTasks[0] }, { title: 'taken over' }, off)).toBe(0);
    expect(await as(alice).nativeDelete(Task, { id: bobTasks[0] }, off)).toBe(0);
    expect(await taskRow(t.db, bobTasks[0])).toEqual(before);
  });

  it('an insert for another user is refused by the policy\'s check, and nothing is written', async () => {
    const insert = as(alice).createQueryBuilder(Task).insert({ id: randomUUID(), user: bob.id, title: 'planted', createdAt: new Date(), updatedAt: new Date() });
    await expect(insert.execute('run')).rejects.toThrow(/row-level security/);
    const { rows } = await t.db.query<{ n: number }>("select count(*)::int as n from tasks where title = 'planted'");
    expect(rows[0].n).toBe(0);
  });

  it('the ORM with no owner set and its filters off reads no row: the database refuses', async () => {
    await expect(bare().count(Task, {}, { filters: false })).rejects.toThrow();
    await expect(bare().createQueryBuilder(Task).select('id').execute('all')).rejects.toThrow();
  });

  it("a session of the service's role outside the ORM sees no task without an owner, and exactly that owner's with one", async () => {
    const client = new Client({ connectionString: t.config.database.url });
    await client.connect();
    try {
      await expect(client.query('select id from tasks')).rejects.toThrow();
      await client.query('begin');
      await client.query("select set_config('mikro.owner.userId', $1, true)", [bob.id]);
      const { rows } = await client.query<{ id: string }>('select id from tasks');
      await client.query('commit');
      expect(rows.map((row) => row.id).sort()).toEqual([...bobTasks].sort());
      // the setting was the transaction's own: on the same connection afterwards, no owner again
      await expect(client.query('select id from tasks')).rejects.toThrow();
    } finally {
      await client.end();
    }
  });
});
