import { randomBytes } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { adminQuery, adminUrl, dropDatabase, withDatabase } from '../../test/support/test-database';
import { loadConfig } from '../config/app-config';
import { ormOptions } from './orm-options';
import { createTestApp, type TestApp } from '../../test/support/test-app';
import { hasPendingMigrations, migrationNames } from './pending-migrations';

describe(hasPendingMigrations.name, () => {
  let t: TestApp;
  let orm: MikroORM;

  beforeAll(async () => {
    t = await createTestApp();
    orm = t.app.get(MikroORM);
  });
  afterAll(() => t.close());

  it('lists the migration files, without declarations or source maps', () => {
    const names = migrationNames();
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((name) => /^Migration\d{14}$/.test(name))).toBe(true);
  });

  it('is false on a database the migrations built', async () => {
    expect(await hasPendingMigrations(orm)).toBe(false);
  });

  it('is true when a migration file is not recorded as applied', async () => {
    expect(await hasPendingMigrations(orm, [...migrationNames(), 'Migration29991231235959'])).toBe(true);
  });

  it('is true on an empty database (no migrations table yet)', async () => {
    const name = `ts_empty_${randomBytes(4).toString('hex')}`;
    await adminQuery(`create database "${name}"`);
    const url = withDatabase(adminUrl(), name);
    const empty = await MikroORM.init(ormOptions(loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, LOG_LEVEL: 'silent' }), url));
    try {
      expect(await hasPendingMigrations(empty)).toBe(true);
    } finally {
      await empty.close(true);
      await dropDatabase(url);
    }
  });
});
