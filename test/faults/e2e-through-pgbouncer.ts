/**
 * The whole e2e suite (`npm test`) through PgBouncer configured like Neon's pooler
 * (transaction pooling, SCRAM-SHA-256, ignore_startup_parameters empty) in front of a PostgreSQL 15 of its
 * own whose `app` role is no superuser but may create databases (the e2e harness creates one per test file,
 * through the bouncer too). Run by test/faults/run-e2e-through-pgbouncer.sh; arguments go to `npm test`.
 */
import { spawn } from 'node:child_process';
import { PgBouncer } from './support/pgbouncer';
import { PgInstance } from './support/pg-instance';
import { REPO_ROOT } from './support/util';

async function main(): Promise<number> {
  // the role is like Neon's owner role: CREATEDB and CREATEROLE, never SUPERUSER
  const pg = new PgInstance({ name: 'e2e-bouncer', appCreateDb: true, appCreateRole: true });
  let bouncer: PgBouncer | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  const cleanup = async () => {
    await bouncer?.destroy().catch(() => undefined);
    await pg.destroy().catch(() => undefined);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      child?.kill(signal);
    });
  }
  try {
    await pg.init();
    await pg.start();
    await pg.createAppDatabase();
    // FAULTS_E2E_DIRECT=1: the same PostgreSQL without the bouncer, to tell a pooler problem from a server one
    const direct = process.env.FAULTS_E2E_DIRECT === '1';
    // server_login_retry 1 s (PgBouncer's default is 15): after a refused server login (the database-errors spec
    // turns ALLOW_CONNECTIONS off and on) the bouncer tries the server again within the spec's recovery window
    if (!direct) bouncer = await PgBouncer.start(pg, { poolSize: 20, maxClientConn: 500, settings: { server_login_retry: 1 } });
    const url = bouncer ? bouncer.url() : pg.appUrl();
    process.stdout.write(
      bouncer
        ? `[e2e via pgbouncer] PostgreSQL 15 on ${pg.port}, PgBouncer ${bouncer.port} (transaction, scram-sha-256, ignore_startup_parameters empty)\n`
        : `[e2e via pgbouncer] FAULTS_E2E_DIRECT=1: PostgreSQL 15 on ${pg.port}, no PgBouncer\n`,
    );
    process.stdout.write(`[e2e via pgbouncer] TEST_DATABASE_URL=${url.replace(/:[^:@/]*@/, ':*****@')} npm test ${process.argv.slice(2).join(' ')}\n`);
    child = spawn('npm', ['test', '--', ...process.argv.slice(2)], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
      // the fail-fast tests of the server's own refusals need the server itself: PgBouncer masks them as 08P01
      // the checks of what was stored read past row-level security, as the superuser, straight to the server
      env: { ...process.env, TEST_DATABASE_URL: url, TEST_DIRECT_DATABASE_URL: pg.appUrl(), TEST_SUPERUSER_URL: pg.superUrl() },
    });
    const code = await new Promise<number>((resolve) => child!.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
    const problems = ((await bouncer?.log()) ?? '').split('\n').filter((l) => /WARNING|ERROR|FATAL/.test(l) && !/closing because: (client close request|client unexpected eof)/.test(l));
    if (problems.length) {
      // grouped by kind: "got packet 'E' from server when not linked" is the harness's `drop database ...
      // with (force)` terminating the bouncer's idle server connections to that database, and is harmless
      const kinds = new Map<string, number>();
      for (const line of problems) {
        const kind = line.replace(/^.*?(WARNING|ERROR|FATAL)/, '$1').replace(/[CS]-0x[0-9a-f]+: \S+ /, '');
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
      process.stdout.write(`[e2e via pgbouncer] PgBouncer logged ${problems.length} warnings/errors:\n`);
      for (const [kind, n] of kinds) process.stdout.write(`  ${n} x ${kind}\n`);
    }
    return code;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[e2e via pgbouncer] ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
