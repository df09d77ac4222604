/**
 * The release step, `npm run migrate:deploy` (node dist/src/database/migrate-cli.js), as a process of the built
 * service: it needs no JWT_SECRET, even in production (migrating signs nothing), while the server still does.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { cleanEnv, freePort, JWT_SECRET, privateBuild, removePrivateBuild, ServerProcess } from '../support/built-server';
import { adminQuery, adminUrl, appUrl, dropDatabase, withDatabase } from '../support/test-database';
import { RUN_PREFIX_ENV } from '../support/test-env';

const nonEmptyLines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

describe('npm run migrate:deploy in production', () => {
  let mainJs: string | undefined;
  let url: string | undefined;
  const processes: ServerProcess[] = [];

  beforeAll(async () => {
    mainJs = await privateBuild();
    // an empty database owned by the service's role, as a new production database is
    const name = `${process.env[RUN_PREFIX_ENV] ?? 'ts_test'}_${randomBytes(4).toString('hex')}`;
    const app = appUrl();
    const owner = decodeURIComponent(new URL(app).username);
    await adminQuery(app === adminUrl() ? `create database "${name}"` : `create database "${name}" owner "${owner}"`);
    url = withDatabase(app, name);
  }, 300_000);

  afterEach(async () => {
    for (const child of processes.splice(0)) await child.kill();
  });

  afterAll(async () => {
    if (url) await dropDatabase(url);
    removePrivateBuild(mainJs);
  });

  function run(script: string, env: NodeJS.ProcessEnv): ServerProcess {
    const child = ServerProcess.node(env, script);
    processes.push(child);
    return child;
  }

  it('applies the migrations without JWT_SECRET; the server on that database still refuses to start without it', async () => {
    const migrateJs = path.join(path.dirname(mainJs!), 'database', 'migrate-cli.js');
    const migrate = run(migrateJs, cleanEnv({ NODE_ENV: 'production', DATABASE_URL: url!, JWT_SECRET: undefined }));
    await expect(migrate.waitForExit(60_000)).resolves.toEqual({ code: 0, signal: null });
    expect(migrate.stdout).toMatch(/^Applied migrations: \S/m);
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ tablename: string }>("select tablename from pg_tables where schemaname = 'public' order by tablename");
      expect(rows.map((row) => row.tablename)).toEqual(expect.arrayContaining(['mikro_orm_migrations', 'tasks', 'users']));
    } finally {
      await client.end();
    }

    const port = String(await freePort());
    const server = run(mainJs!, cleanEnv({ NODE_ENV: 'production', DATABASE_URL: url!, PORT: port, HOST: '127.0.0.1' }));
    await expect(server.waitForExit(20_000)).resolves.toEqual({ code: 1, signal: null });
    const lines = nonEmptyLines(server.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"JWT_SECRET"');

    // and a second deploy, with a secret or without, has nothing left to do
    const again = run(migrateJs, cleanEnv({ NODE_ENV: 'production', DATABASE_URL: url!, JWT_SECRET }));
    await expect(again.waitForExit(60_000)).resolves.toEqual({ code: 0, signal: null });
    expect(again.stdout).toMatch(/^No pending migrations/m);
  }, 180_000);
});
