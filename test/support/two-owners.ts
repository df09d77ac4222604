import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { OWNER_FILTER } from '../../src/database/owner-filter';
import { insertTasks } from './tasks';
import { createTestApp, registerUser, type RegisteredUser, type TestApp } from './test-app';

export interface TwoOwners {
  t: TestApp;
  orm: MikroORM;
  alice: RegisteredUser;
  bob: RegisteredUser;
  aliceTasks: string[];
  bobTasks: string[];
  /** An EntityManager fork with no owner set. */
  bare(): EntityManager;
  /** An EntityManager fork whose owner filter (and so its row-level security setting) is this user. */
  as(user: RegisteredUser): EntityManager;
}

/** For the enclosing describe: an app, two users, three tasks of Alice's and two of Bob's (inserted past the ORM). */
export function useTwoOwners(): TwoOwners {
  const ctx = {} as TwoOwners;
  ctx.bare = () => ctx.orm.em.fork() as EntityManager;
  ctx.as = (user) => {
    const em = ctx.bare();
    em.setFilterParams(OWNER_FILTER, { userId: user.id });
    return em;
  };
  beforeAll(async () => {
    ctx.t = await createTestApp();
    ctx.orm = ctx.t.app.get(MikroORM);
    [ctx.alice, ctx.bob] = await Promise.all([registerUser(ctx.t.http), registerUser(ctx.t.http)]);
    const now = new Date().toISOString();
    ctx.aliceTasks = await insertTasks(ctx.t.db, ctx.alice.id, [{ createdAt: now }, { createdAt: now }, { createdAt: now }]);
    ctx.bobTasks = await insertTasks(ctx.t.db, ctx.bob.id, [{ createdAt: now }, { createdAt: now }]);
  });
  afterAll(() => ctx.t.close());
  return ctx;
}
