/**
 * The database's own layer of owner isolation: in force for the service's role (an ordinary role that owns its
 * database, as on Neon), and a production start refused on a role that skips it.
 */
import { MikroORM } from '@mikro-orm/core';
import { loadConfig } from '../../src/config/app-config';
import { rowLevelSecurityState } from '../../src/database/row-level-security';
import { startApp, TEST_JWT_SECRET, useTestApp } from '../support/test-app';
import { superuserUrlFor } from '../support/test-database';

describe('row-level security', () => {
  const t = useTestApp();
  const production = (url: string, env: Record<string, string> = {}) =>
    loadConfig({ NODE_ENV: 'production', DATABASE_URL: url, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent', MIGRATE_ON_START: 'false', ...env });

  it("is in force on tasks for the service's role", async () => {
    const state = await rowLevelSecurityState(t.app.get(MikroORM));
    expect(state.tables).toEqual([{ name: 'tasks', active: true }]);
    expect(state.role).not.toBe('postgres');
  });

  it('stops a production start as a superuser, with one line naming the role and the fix', async () => {
    await expect(startApp(production(superuserUrlFor(t.config.database.url!)))).rejects.toThrow(
      /^Row-level security is bypassed: role "[^"]+" is a superuser or has BYPASSRLS.*DATABASE_ALLOW_RLS_BYPASS=true/,
    );
  });

  it('starts in production as a superuser when DATABASE_ALLOW_RLS_BYPASS=true accepts it', async () => {
    const app = await startApp(production(superuserUrlFor(t.config.database.url!), { DATABASE_ALLOW_RLS_BYPASS: 'true' }));
    await app.close();
  });

  it("starts in production as the service's own role", async () => {
    const app = await startApp(production(t.config.database.url!));
    await app.close();
  });
});
