import { rmSync } from 'node:fs';
import { Client } from 'pg';
import { ADMIN_URL_ENV, RUN_PREFIX_ENV } from './test-env';

export default async function globalTeardown(): Promise<void> {
  const embedded = globalThis.__EMBEDDED_TEST_PG__;
  if (embedded) {
    await embedded.pg.stop();
    // the data folder may have been moved where the postgres user can reach it: remove both places
    for (const dir of [embedded.tmpDir, embedded.pg.dataDir, `${embedded.pg.dataDir}.password`, `${embedded.pg.dataDir}.app-password`]) rmSync(dir, { recursive: true, force: true });
    return;
  }
  // on a shared server: drop whatever this run created
  const client = new Client({ connectionString: process.env[ADMIN_URL_ENV] });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${process.env[RUN_PREFIX_ENV]}_%`]);
    for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
  } finally {
    await client.end();
  }
}
