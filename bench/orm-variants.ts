/**
 * `npm run bench:orm`: what each public-API measure on the tasks data path costs, per call, in this process.
 * The same reads and writes as the service's TaskRepository, done the ways MikroORM's public API allows, each
 * timed in a loop on one EntityManager fork per call (as a request has), against a database of its own.
 * Numbers are CPU-bound wall time per call on one connection (the database round trip included): compare
 * the variants with each other, not with the HTTP benchmark.
 *
 * Environment: BENCH_DATABASE_URL (a server where it may create and drop the database `task_orm_bench`;
 * default: the machine's postgres://postgres@127.0.0.1:5432/test), BENCH_ORM_CALLS [3000].
 */
import { randomUUID } from 'node:crypto';
import { MikroORM, raw, type EntityManager } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { loadConfig } from '../src/config/app-config';
import { migrateDatabase } from '../src/database/migrate';
import { ormOptions } from '../src/database/orm-options';
import { OWNER_FILTER } from '../src/database/owner-filter';
import { Task } from '../src/tasks/task.entity';
import { User } from '../src/users/user.entity';

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CALLS = Number(process.env.BENCH_ORM_CALLS ?? 3000);
const DB = 'task_orm_bench';
const FIELDS = ['id', 'title', 'description', 'completed', 'createdAt', 'updatedAt', 'version'] as const;

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  await admin(`drop database if exists ${DB} with (force)`);
  await admin(`create database ${DB}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB}`;
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url.toString(), LOG_LEVEL: 'silent' });
  await migrateDatabase(config, () => undefined);
  const orm = await MikroORM.init({ ...ormOptions(config, url.toString()), pool: { min: 1, max: 1 } });
  try {
    const seed = orm.em.fork();
    const user = new User(`bench-${randomUUID()}@example.com`, 'not a hash');
    await seed.persistAndFlush(user);
    const owned = (): EntityManager => {
      const em = orm.em.fork() as EntityManager;
      em.setFilterParams(OWNER_FILTER, { userId: user.id });
      return em;
    };
    const repo = () => owned().getRepository(Task);
    const first = await repo().createOwned({ title: 'seed' });
    for (let i = 0; i < 40; i++) await repo().createOwned({ title: `seed ${i}`, description: 'Seeded' });

    const variants: [string, () => Promise<unknown>][] = [
      ['get: em.findOne, a managed entity (hydrated, identity map)', () => owned().findOne(Task, { id: first.id })],
      ['get: em.findOne, selected fields only', () => owned().findOne(Task, { id: first.id }, { fields: [...FIELDS] })],
      ['get: QueryBuilder + applyFilters(), rows mapped to properties (the service)', () => repo().findOwned(first.id)],
      ['get: QueryBuilder + applyFilters(), the seven answered columns named, mapped rows', async () => {
        const qb = owned().createQueryBuilder(Task).select([...FIELDS]).where({ id: first.id });
        await qb.applyFilters();
        return qb.execute('all', true);
      }],
      ['get: QueryBuilder + applyFilters(), raw rows (execute(all, false))', async () => {
        const qb = owned().createQueryBuilder(Task).select('*').where({ id: first.id });
        await qb.applyFilters();
        return qb.execute('all', false);
      }],
      ['list 21: em.find, managed entities', () => owned().find(Task, {}, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 21 })],
      ['list 21: em.find, managed, disableIdentityMap', () => owned().find(Task, {}, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 21, disableIdentityMap: true })],
      ['list 21: QueryBuilder + applyFilters(), mapped rows (the service)', () => repo().page(undefined, undefined, 21)],
      ['list 21: QueryBuilder + applyFilters(), the seven answered columns named, mapped rows', async () => {
        const qb = owned().createQueryBuilder(Task).select([...FIELDS]).orderBy({ createdAt: 'desc', id: 'desc' }).limit(21);
        await qb.applyFilters();
        return qb.execute('all', true);
      }],
      ['create: em.create + flush (entity, identity map)', async () => {
        const em = owned();
        em.create(Task, { user: user.id, title: 'created', description: null, completed: false } as never);
        await em.flush();
      }],
      ['create: QueryBuilder insert ... returning (the service)', () => repo().createOwned({ title: 'created' })],
      ['patch: nativeUpdate + findOne (two round trips)', async () => {
        const em = owned();
        await em.nativeUpdate(Task, { id: first.id }, { completed: true, version: raw('version + 1'), updatedAt: new Date() });
        return em.findOne(Task, { id: first.id }, { fields: [...FIELDS] });
      }],
      ['patch: QueryBuilder update ... returning + applyFilters() (the service)', () => repo().updateOwned(first.id, { completed: true })],
    ];
    console.log(`${CALLS} calls per variant, after 300 to warm up, one pooled connection, Node ${process.version}`);
    console.log('| variant | µs per call | CPU µs per call |');
    console.log('| --- | ---: | ---: |');
    for (const [name, call] of variants) {
      for (let i = 0; i < 300; i++) await call(); // warm the JIT
      const cpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      for (let i = 0; i < CALLS; i++) await call();
      const wall = Number(process.hrtime.bigint() - start) / 1000 / CALLS;
      const used = process.cpuUsage(cpu);
      console.log(`| ${name} | ${wall.toFixed(0)} | ${((used.user + used.system) / CALLS).toFixed(0)} |`);
    }
  } finally {
    await orm.close(true);
    await admin(`drop database if exists ${DB} with (force)`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
