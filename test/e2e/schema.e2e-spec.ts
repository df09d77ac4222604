/**
 * The data model at the database level (../shared/spec/data-model.md): what the migrated schema itself
 * refuses, whatever code writes to it. Raw SQL through t.db on this file's freshly migrated database.
 */
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import request from 'supertest';
import { taskCount } from '../support/tasks';
import { registerUser, uniqueEmail, useTestApp } from '../support/test-app';

const ORPHANS = 'select count(*)::int as n from tasks t left join users u on u.id = t.user_id where u.id is null';
const DUPLICATE_EMAILS = 'select lower(email), count(*) from users group by 1 having count(*) > 1';

describe('database schema', () => {
  const t = useTestApp();

  async function insertUser(email = uniqueEmail('sql')): Promise<string> {
    const id = randomUUID();
    await t.db.query('insert into users (id, email, password_hash, created_at, updated_at) values ($1, $2, $3, now(), now())', [id, email, 'not-a-real-hash']);
    return id;
  }

  function insertTask(userId: string | null, title = 'a task', description: string | null = null) {
    return t.db.query('insert into tasks (id, user_id, title, description, created_at, updated_at) values ($1, $2, $3, $4, now(), now()) returning *', [
      randomUUID(),
      userId,
      title,
      description,
    ]);
  }

  /** Runs `body` in a transaction that is always rolled back. */
  async function inRolledBackTransaction(body: (client: PoolClient) => Promise<void>): Promise<void> {
    const client = await t.db.connect();
    try {
      await client.query('begin');
      await body(client);
    } finally {
      await client.query('rollback');
      client.release();
    }
  }

  describe('tables and columns', () => {
    async function columns(table: string) {
      const { rows } = await t.db.query(
        `select column_name, data_type, character_maximum_length, datetime_precision, is_nullable, column_default
           from information_schema.columns where table_schema = 'public' and table_name = $1 order by column_name`,
        [table],
      );
      return Object.fromEntries(rows.map(({ column_name, ...rest }) => [column_name, rest]));
    }

    it('users is as the data model says', async () => {
      await expect(columns('users')).resolves.toEqual({
        id: { data_type: 'uuid', character_maximum_length: null, datetime_precision: null, is_nullable: 'NO', column_default: null },
        email: { data_type: 'character varying', character_maximum_length: 254, datetime_precision: null, is_nullable: 'NO', column_default: null },
        name: { data_type: 'character varying', character_maximum_length: 100, datetime_precision: null, is_nullable: 'YES', column_default: null },
        password_hash: { data_type: 'text', character_maximum_length: null, datetime_precision: null, is_nullable: 'NO', column_default: null },
        created_at: { data_type: 'timestamp with time zone', character_maximum_length: null, datetime_precision: 6, is_nullable: 'NO', column_default: null },
        updated_at: { data_type: 'timestamp with time zone', character_maximum_length: null, datetime_precision: 6, is_nullable: 'NO', column_default: null },
      });
    });

    it('tasks is as the data model says, with millisecond timestamps (timestamptz(3))', async () => {
      await expect(columns('tasks')).resolves.toEqual({
        id: { data_type: 'uuid', character_maximum_length: null, datetime_precision: null, is_nullable: 'NO', column_default: null },
        user_id: { data_type: 'uuid', character_maximum_length: null, datetime_precision: null, is_nullable: 'NO', column_default: null },
        title: { data_type: 'character varying', character_maximum_length: 200, datetime_precision: null, is_nullable: 'NO', column_default: null },
        description: { data_type: 'text', character_maximum_length: null, datetime_precision: null, is_nullable: 'YES', column_default: null },
        completed: { data_type: 'boolean', character_maximum_length: null, datetime_precision: null, is_nullable: 'NO', column_default: 'false' },
        created_at: { data_type: 'timestamp with time zone', character_maximum_length: null, datetime_precision: 3, is_nullable: 'NO', column_default: null },
        updated_at: { data_type: 'timestamp with time zone', character_maximum_length: null, datetime_precision: 3, is_nullable: 'NO', column_default: null },
        version: { data_type: 'integer', character_maximum_length: null, datetime_precision: null, is_nullable: 'NO', column_default: '1' },
      });
    });

    it('stores task timestamps at millisecond precision', async () => {
      const userId = await insertUser();
      const { rows } = await t.db.query<{ micros: number }>(
        `insert into tasks (id, user_id, title, created_at, updated_at)
         values ($1, $2, 'precise', '2024-01-02T03:04:05.123456Z', '2024-01-02T03:04:05.987654Z')
         returning extract(microseconds from created_at)::int as micros`,
        [randomUUID(), userId],
      );
      expect(rows[0].micros).toBe(5_123_000);
    });

    it('has the (user_id, created_at desc, id desc) index on tasks', async () => {
      const { rows } = await t.db.query<{ indexname: string; indexdef: string }>(
        "select indexname, indexdef from pg_indexes where schemaname = 'public' and tablename = 'tasks'",
      );
      const listIndex = rows.find((row) => /\(user_id, created_at DESC, id DESC\)$/.test(row.indexdef));
      expect(listIndex).toEqual({
        indexname: 'tasks_user_id_created_at_id_index',
        indexdef: 'CREATE INDEX tasks_user_id_created_at_id_index ON public.tasks USING btree (user_id, created_at DESC, id DESC)',
      });
    });

    it('reads a user’s newest tasks through that index, not a scan of the table', async () => {
      await inRolledBackTransaction(async (client) => {
        await client.query('set local enable_seqscan = off'); // a tiny table: make the planner show what it can use
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(
          'explain select * from tasks where user_id = $1 order by created_at desc, id desc limit 20',
          [randomUUID()],
        );
        expect(rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('Index Scan using tasks_user_id_created_at_id_index');
      });
    });
  });

  describe('no task without an owner', () => {
    it('refuses a task whose user_id is null (NOT NULL)', async () => {
      await expect(insertTask(null)).rejects.toMatchObject({ code: '23502', table: 'tasks', column: 'user_id' });
    });

    it('refuses a task whose user does not exist (foreign key)', async () => {
      await expect(insertTask(randomUUID())).rejects.toMatchObject({ code: '23503', table: 'tasks', constraint: 'tasks_user_id_foreign' });
    });

    it('refuses moving a task to a user that does not exist', async () => {
      const userId = await insertUser();
      const { rows } = await insertTask(userId);
      await expect(t.db.query('update tasks set user_id = $1 where id = $2', [randomUUID(), rows[0].id])).rejects.toMatchObject({
        code: '23503',
        constraint: 'tasks_user_id_foreign',
      });
    });

    it('deleting a user deletes their tasks, and only theirs (on delete cascade)', async () => {
      const doomed = await insertUser();
      const other = await insertUser();
      await insertTask(doomed, 'one');
      await insertTask(doomed, 'two');
      await insertTask(other, 'kept');
      expect(await taskCount(t.db, doomed)).toBe(2);

      await t.db.query('delete from users where id = $1', [doomed]);

      expect(await taskCount(t.db, doomed)).toBe(0);
      expect(await taskCount(t.db, other)).toBe(1);
    });

    it('DELETE /users/me removes the account and every task it owns', async () => {
      const user = await registerUser(t.http);
      const survivor = await registerUser(t.http);
      for (const title of ['a', 'b', 'c']) await request(t.http).post('/tasks').set(user.auth).send({ title }).expect(201);
      await request(t.http).post('/tasks').set(survivor.auth).send({ title: 'mine' }).expect(201);
      expect(await taskCount(t.db, user.id)).toBe(3);

      await request(t.http).delete('/users/me').set(user.auth).expect(204);

      const { rows } = await t.db.query('select id from users where id = $1', [user.id]);
      expect(rows).toEqual([]);
      expect(await taskCount(t.db, user.id)).toBe(0);
      expect(await taskCount(t.db, survivor.id)).toBe(1);
    });
  });

  describe('e-mails are unique case-insensitively', () => {
    it('refuses an e-mail that is not lower-cased (users_email_normalized_check)', async () => {
      await expect(insertUser('Mixed.Case@Example.com')).rejects.toMatchObject({ code: '23514', constraint: 'users_email_normalized_check' });
    });

    it('refuses an e-mail with surrounding spaces (users_email_normalized_check)', async () => {
      await expect(insertUser(' padded@example.com ')).rejects.toMatchObject({ code: '23514', constraint: 'users_email_normalized_check' });
    });

    it('refuses a second user with the same (normalised) e-mail (unique index)', async () => {
      const email = uniqueEmail('dup');
      await insertUser(email);
      await expect(insertUser(email)).rejects.toMatchObject({ code: '23505', constraint: 'users_email_unique' });
    });

    it('the service stores the e-mail trimmed and lower-cased, and A@x and a@x are one account', async () => {
      const local = uniqueEmail('case').split('@')[0];
      const res = await request(t.http).post('/auth/register').send({ email: `  ${local.toUpperCase()}@EXAMPLE.com `, password: 'long enough password' }).expect(201);
      expect(res.body.user.email).toBe(`${local}@example.com`);
      const { rows } = await t.db.query('select email from users where id = $1', [res.body.user.id]);
      expect(rows).toEqual([{ email: `${local}@example.com` }]);

      await request(t.http).post('/auth/register').send({ email: `${local}@example.com`, password: 'another long password' }).expect(409);
      const count = await t.db.query<{ n: number }>('select count(*)::int as n from users where lower(email) = $1', [`${local}@example.com`]);
      expect(count.rows[0].n).toBe(1);
    });
  });

  describe('checks on tasks', () => {
    let userId: string;
    beforeAll(async () => {
      userId = await insertUser();
    });

    it.each([
      ['empty', ''],
      ['spaces only', '     '],
    ])('refuses a title that is blank after trimming (%s)', async (_name, title) => {
      await expect(insertTask(userId, title)).rejects.toMatchObject({ code: '23514', constraint: 'tasks_title_not_blank_check' });
    });

    it('accepts a title with text between spaces', async () => {
      await expect(insertTask(userId, '  x  ')).resolves.toMatchObject({ rowCount: 1 });
    });

    it('refuses a title over 200 characters and accepts 200', async () => {
      await expect(insertTask(userId, 't'.repeat(201))).rejects.toMatchObject({ code: '22001' });
      await expect(insertTask(userId, 't'.repeat(200))).resolves.toMatchObject({ rowCount: 1 });
    });

    it('refuses a description over 10000 characters (tasks_description_length_check)', async () => {
      await expect(insertTask(userId, 'long', 'd'.repeat(10_001))).rejects.toMatchObject({ code: '23514', constraint: 'tasks_description_length_check' });
    });

    it('accepts a description of exactly 10000 characters, counted in characters, not bytes', async () => {
      await expect(insertTask(userId, 'ascii', 'd'.repeat(10_000))).resolves.toMatchObject({ rowCount: 1 });
      const { rows } = await insertTask(userId, 'emoji', '😀'.repeat(10_000)); // 40000 bytes in UTF-8
      expect([...rows[0].description].length).toBe(10_000);
      await expect(insertTask(userId, 'emoji', '😀'.repeat(10_001))).rejects.toMatchObject({ constraint: 'tasks_description_length_check' });
    });

    it('accepts a null description', async () => {
      await expect(insertTask(userId, 'no description', null)).resolves.toMatchObject({ rowCount: 1 });
    });

    it('defaults completed to false and version to 1', async () => {
      const { rows } = await insertTask(userId, 'defaults');
      expect(rows[0]).toMatchObject({ completed: false, version: 1 });
    });

    it('refuses a null completed', async () => {
      const insert = t.db.query("insert into tasks (id, user_id, title, completed, created_at, updated_at) values ($1, $2, 'x', null, now(), now())", [randomUUID(), userId]);
      await expect(insert).rejects.toMatchObject({ code: '23502', column: 'completed' });
    });
  });

  describe('the invariants of the data model', () => {
    it('hold after users and tasks are written, deleted and refused through the API', async () => {
      const users = await Promise.all([registerUser(t.http), registerUser(t.http), registerUser(t.http)]);
      for (const user of users) {
        await request(t.http).post('/tasks').set(user.auth).send({ title: 'invariant' }).expect(201);
      }
      await request(t.http).post('/auth/register').send({ email: users[0].email.toUpperCase(), password: 'some long password' }).expect(409);
      await request(t.http).delete('/users/me').set(users[1].auth).expect(204);

      const orphans = await t.db.query<{ n: number }>(ORPHANS);
      expect(orphans.rows[0].n).toBe(0);
      const duplicates = await t.db.query(DUPLICATE_EMAILS);
      expect(duplicates.rows).toEqual([]);
    });

    it('the orphan query finds an orphan when the foreign key is bypassed (it can fail)', async () => {
      await inRolledBackTransaction(async (client) => {
        // the table's owner may drop its foreign key (no superuser needed, as on Neon); the rollback restores it
        await client.query('alter table tasks drop constraint tasks_user_id_foreign');
        await client.query("insert into tasks (id, user_id, title, created_at, updated_at) values ($1, $2, 'orphan', now(), now())", [randomUUID(), randomUUID()]);
        const { rows } = await client.query<{ n: number }>(ORPHANS);
        expect(rows[0].n).toBe(1);
      });
    });

    it('the duplicate query finds a duplicate when the constraints are dropped (it can fail)', async () => {
      await inRolledBackTransaction(async (client) => {
        await client.query('alter table users drop constraint users_email_unique, drop constraint users_email_normalized_check');
        const email = uniqueEmail('twice');
        for (const variant of [email, email.toUpperCase()]) {
          await client.query("insert into users (id, email, password_hash, created_at, updated_at) values ($1, $2, 'x', now(), now())", [randomUUID(), variant]);
        }
        const { rows } = await client.query(DUPLICATE_EMAILS);
        expect(rows).toEqual([{ lower: email, count: '2' }]);
      });
    });
  });
});
