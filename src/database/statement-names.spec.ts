import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { Logger } from '@nestjs/common';
import { insertTasks } from '../../test/support/tasks';
import { createTestApp, registerUser, type RegisteredUser } from '../../test/support/test-app';
import { Task } from '../tasks/task.entity';
import * as fixedStatement from './fixed-statement';
import { OWNER_FILTER } from './owner-filter';
import { isLostPreparedStatement, StatementNames } from './statement-names';

describe(StatementNames.name, () => {
  it('names a text by its hash: the same text the same name, in any instance; another text another name', () => {
    const names = new StatementNames(true);
    const name = names.nameOf('select 1');
    expect(name).toMatch(/^task_service_[0-9a-f]{24}$/);
    expect(names.nameOf('select 1')).toBe(name);
    expect(new StatementNames(true).nameOf('select 1')).toBe(name);
    expect(names.nameOf('select 2')).not.toBe(name);
  });

  it('names nothing when disabled, or once disable() was called (true only the first time)', () => {
    expect(new StatementNames(false).nameOf('select 1')).toBeUndefined();
    const names = new StatementNames(true);
    expect(names.disable()).toBe(true);
    expect(names.disable()).toBe(false);
    expect(names.nameOf('select 1')).toBeUndefined();
    expect(names.isEnabled).toBe(false);
  });

  it('names at most 200 texts; any other is sent unnamed', () => {
    const names = new StatementNames(true);
    for (let i = 0; i < 200; i++) expect(names.nameOf(`select ${i}`)).toBeDefined();
    expect(names.nameOf('select 200')).toBeUndefined();
    expect(names.nameOf('select 0')).toBeDefined();
  });

  it('recognizes a statement the server does not have or already has, and nothing else', () => {
    expect(isLostPreparedStatement({ code: '26000' })).toBe(true);
    expect(isLostPreparedStatement({ code: '42P05' })).toBe(true);
    expect(isLostPreparedStatement({ code: '23503' })).toBe(false);
    expect(isLostPreparedStatement(new Error('x'))).toBe(false);
    expect(isLostPreparedStatement(null)).toBe(false);
  });
});

describe('prepared statements of the request path, on a real PostgreSQL', () => {
  /** pg_prepared_statements of the pool's only connection. */
  async function prepared(orm: MikroORM): Promise<{ name: string; statement: string; executions: number }[]> {
    return orm.em.getConnection().execute(
      "select name, statement, (generic_plans + custom_plans)::int as executions from pg_prepared_statements where name like 'task\\_service\\_%' order by name",
    );
  }

  async function setUp(env: Record<string, string> = {}) {
    // one connection, so that every statement below runs on the session that is inspected
    const t = await createTestApp({ DATABASE_POOL_MAX: '1', ...env });
    const orm: MikroORM = t.app.get(MikroORM);
    const user = await registerUser(t.http);
    const [taskId] = await insertTasks(t.db, user.id, [{ createdAt: new Date().toISOString() }]);
    return { t, orm, user, taskId, em: () => ownedBy(orm, user) };
  }

  function ownedBy(orm: MikroORM, user: RegisteredUser): EntityManager {
    const em = orm.em.fork() as EntityManager;
    em.setFilterParams(OWNER_FILTER, { userId: user.id });
    return em;
  }

  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn?.mockRestore());

  describe('enabled (the default)', () => {
    let s: Awaited<ReturnType<typeof setUp>>;
    beforeAll(async () => {
      s = await setUp();
    });
    afterAll(() => s.t.close());

    it('parses a statement once per connection and then only executes it', async () => {
      for (let i = 0; i < 7; i++) expect(await s.em().getRepository(Task).findOwned(s.taskId)).toMatchObject({ id: s.taskId });
      const statements = (await prepared(s.orm)).filter((p) => /^select .* from "tasks" where "id" = \$1/.test(p.statement));
      expect(statements).toEqual([{ name: new StatementNames(true).nameOf(statements[0]?.statement ?? ''), statement: expect.any(String), executions: 7 }]);
    });

    it('sends statements inside a transaction unnamed', async () => {
      await s.em().transactional(async (em) => {
        await em.getRepository(Task).updateOwned(s.taskId, { title: 'in a transaction' });
      });
      expect((await prepared(s.orm)).filter((p) => p.statement.startsWith('update'))).toEqual([]);
      await s.em().getRepository(Task).updateOwned(s.taskId, { title: 'outside' });
      expect((await prepared(s.orm)).filter((p) => p.statement.startsWith('update'))).toHaveLength(1);
    });

    it('keeps one statement text for any If-Match list, so conditional updates are prepared once too', async () => {
      const repo = () => s.em().getRepository(Task);
      expect(await repo().updateOwned(s.taskId, { completed: true }, [999])).toBeUndefined();
      const { version } = (await repo().findOwned(s.taskId))!;
      expect(await repo().updateOwned(s.taskId, { completed: true }, [998, 997, version])).toMatchObject({ version: version + 1 });
      expect(await repo().updateOwned(s.taskId, { completed: true }, [])).toBeUndefined();
      const conditional = (await prepared(s.orm)).filter((p) => p.statement.includes('"version" = any('));
      expect(conditional).toEqual([expect.objectContaining({ executions: 3 })]);
    });

    // last in this block: it turns the names off for this app
    it('when the session lost its statements (as behind a pooler that keeps none): retries unnamed, warns once, names nothing more', async () => {
      await s.orm.em.getConnection().execute('deallocate all');
      expect(await s.em().getRepository(Task).findOwned(s.taskId)).toMatchObject({ id: s.taskId });
      expect(await s.em().getRepository(Task).page(undefined, undefined, 10)).toHaveLength(1);
      expect(await prepared(s.orm)).toEqual([]);
      expect(warn.mock.calls.filter(([message]) => /prepared statements/.test(String(message)))).toHaveLength(1);
    });
  });

  it('when the session already has a statement of that name (another client prepared it): retries unnamed, and answers', async () => {
    const s = await setUp();
    try {
      // the text createOwned sends, taken without running it
      const spy = jest.spyOn(fixedStatement, 'runFixedStatement').mockResolvedValueOnce([]);
      await s.em().getRepository(Task).createOwned({ title: 'not sent' });
      const sql = spy.mock.calls[0][1];
      spy.mockRestore();
      await s.orm.em.getConnection().execute(`prepare ${new StatementNames(true).nameOf(sql)} as select 1`);
      const created = await s.em().getRepository(Task).createOwned({ title: 'despite the name clash' });
      expect((await s.t.db.query('select title from tasks where id = $1', [created.id])).rows).toEqual([{ title: 'despite the name clash' }]);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      await s.t.close();
    }
  });

  it('DATABASE_PREPARED_STATEMENTS=false: nothing is prepared', async () => {
    const s = await setUp({ DATABASE_PREPARED_STATEMENTS: 'false' });
    try {
      await s.em().getRepository(Task).findOwned(s.taskId);
      await s.em().getRepository(Task).updateOwned(s.taskId, { title: 'x' });
      expect(await prepared(s.orm)).toEqual([]);
    } finally {
      await s.t.close();
    }
  });
});
