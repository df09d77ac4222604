import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedPostgres } from '../../src/database/embedded';
import { RUN_PREFIX_ENV } from './test-env';
import { prepareTestRoles } from './test-database';
import { freePort } from './free-port';

declare global {
  var __EMBEDDED_TEST_PG__: { pg: EmbeddedPostgres; tmpDir: string } | undefined;
}


/**
 * Uses TEST_DATABASE_URL when set (any server where the tests may create databases), else starts one
 * embedded PostgreSQL for the whole run in a fresh temporary folder. Each test file then gets its own
 * database, created by the migrations (test/support/test-database.ts).
 */
export default async function globalSetup(): Promise<void> {
  process.env[RUN_PREFIX_ENV] = `ts_test_${process.pid}`;
  if (process.env.TEST_DATABASE_URL) {
    await prepareTestRoles(process.env.TEST_DATABASE_URL);
    return;
  }
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'task-service-test-'));
  const pg = await EmbeddedPostgres.start({ dataDir: path.join(tmpDir, 'pg'), port: await freePort(), log: () => undefined });
  globalThis.__EMBEDDED_TEST_PG__ = { pg, tmpDir };
  // the superuser's URL: the tests create and drop databases (the service's own role may not)
  await prepareTestRoles(pg.adminUrl);
}
