import { MikroORM } from '@mikro-orm/postgresql';
import request, { type Response } from 'supertest';
import { databaseErrorKind } from '../../src/database/database-errors';
import { expectProblem } from '../support/problem-assertions';
import { createTestApp, registerUser, type RegisteredUser, type TestApp } from '../support/test-app';
import { adminQuery } from '../support/test-database';
import { sleep } from '../support/wait';

/** A 503 problem that tells the client when to retry: what every "the database cannot serve now" answer is. */
function expectUnavailable(res: Response): void {
  expectProblem(res, 503);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
}

function databaseOf(t: TestApp): string {
  return new URL(t.config.database.url!).pathname.slice(1);
}

/** Ends every session on this test file's database but the admin's own: the app's pool must reconnect. */
async function terminateSessions(database: string): Promise<void> {
  await adminQuery(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${database}' and pid <> pg_backend_pid()`);
}

describe('database errors', () => {
  describe('a database that refuses new connections (ALLOW_CONNECTIONS false)', () => {
    let t: TestApp;
    let user: RegisteredUser;
    beforeAll(async () => {
      t = await createTestApp();
      t.db.on('error', () => undefined); // its idle sessions are terminated too
      user = await registerUser(t.http);
    });
    afterAll(async () => {
      await adminQuery(`alter database "${databaseOf(t)}" allow_connections true`);
      await t.close();
    });

    it('answers GET /tasks with 503 and Retry-After (not 500), as /health/ready does, and recovers', async () => {
      await request(t.http).get('/tasks').set(user.auth).expect(200);
      await adminQuery(`alter database "${databaseOf(t)}" allow_connections false`);
      await terminateSessions(databaseOf(t));

      // the first may meet a pooled connection the server has just cut, the next ones a refused connect (FATAL 55000)
      for (let i = 0; i < 4; i++) {
        expectUnavailable(await request(t.http).get('/tasks').set(user.auth));
      }
      expect((await request(t.http).get('/health/ready')).status).toBe(503);

      await adminQuery(`alter database "${databaseOf(t)}" allow_connections true`);
      let status = 0;
      for (let i = 0; i < 10 && status !== 200; i++) {
        status = (await request(t.http).get('/tasks').set(user.auth)).status;
        if (status !== 200) await sleep(200);
      }
      expect(status).toBe(200);
    });
  });

  describe('a pool with no free connection within the acquire timeout', () => {
    let t: TestApp;
    let user: RegisteredUser;
    beforeAll(async () => {
      t = await createTestApp({ DATABASE_POOL_MIN: '0', DATABASE_POOL_MAX: '1', DATABASE_ACQUIRE_TIMEOUT_MS: '300' });
      user = await registerUser(t.http);
    });
    afterAll(() => t.close());

    it('answers 503 with Retry-After while the one connection is held, and 200 once it is free', async () => {
      const orm = t.app.get(MikroORM);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let holding!: () => void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      const transaction = orm.em.fork().transactional(async () => {
        holding();
        await released;
      });
      try {
        await held;
        expectUnavailable(await request(t.http).get('/tasks').set(user.auth));
        // the same timeout as em.transactional()'s BEGIN meets it
        const error = await orm.em.fork().transactional(async () => undefined).then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        expect(databaseErrorKind(error)).toBe('unavailable');
      } finally {
        release();
        await transaction;
      }
      await request(t.http).get('/tasks').set(user.auth).expect(200);
    });
  });
});
