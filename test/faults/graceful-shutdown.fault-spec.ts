/**
 * SIGTERM during a steady load, sent to `npm run start:prod` as a process manager would.
 * Every request already accepted completes with its normal status; the process exits 0 within 10 s even with
 * idle keep-alive connections open; the embedded database it started is stopped cleanly.
 */
import http from 'node:http';
import { existsSync, promises as fs } from 'node:fs';
import { Client } from 'pg';
import path from 'node:path';
import { Load, Resources, summarize } from './support/fixture';
import { request, registerUser, type TestUser } from './support/http';
import { PG_BIN } from './support/pg-instance';
import type { ServiceProcess } from './support/service';
import { exec, freePort, isAlive, isRunning, makeTempDir, sleep, waitFor } from './support/util';

/** A request written this long before SIGTERM has reached the server (loopback) and so was accepted. */
const ACCEPTED_MARGIN_MS = 25;

describe('graceful shutdown under load, via npm run start:prod', () => {
  const res = new Resources();
  let dir: string;
  afterAll(async () => {
    await res.teardown();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('finishes accepted requests, exits 0 within 10 s, and stops the embedded database cleanly', async () => {
    dir = await makeTempDir('faults-embedded');
    const embeddedDir = path.join(dir, 'pg');
    const embeddedPort = await freePort();
    const service: ServiceProcess = await res.service(
      {
        name: 'graceful',
        via: 'npm',
        // production refuses to start without DATABASE_URL: the embedded database is the development set-up
        // REGISTER_IP_MAX: the load below registers again and again from one address
        env: { NODE_ENV: 'development', DATABASE_URL: undefined, EMBEDDED_PG_DIR: embeddedDir, EMBEDDED_PG_PORT: String(embeddedPort), SHUTDOWN_TIMEOUT_MS: '8000', REGISTER_IP_MAX: '100000' },
      },
      120_000,
    );
    const base = service.baseUrl;
    const nodePid = await service.nodePid();
    const users: TestUser[] = await Promise.all(['sd-a', 'sd-b'].map((l) => registerUser(base, l)));

    // where the embedded cluster actually lives (it may be moved to /var/tmp when the postgres user cannot reach it)
    const dataDir = await findDataDir(embeddedDir, service.stdout + service.stderr);
    const postmasterPid = Number((await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    expect(isAlive(postmasterPid)).toBe(true);

    // idle keep-alive connections, as a browser or a load balancer leaves them
    const idleAgent = new http.Agent({ keepAlive: true, maxSockets: 3 });
    await Promise.all([0, 1, 2].map(() => request(base, 'GET', '/health/live', { agent: idleAgent, timeoutMs: 5000 })));
    const loadAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });

    let termAt = Number.POSITIVE_INFINITY;
    const sentAt = new Map<object, number>();
    // task requests, and registrations (password hashing: slow enough to be in flight at any moment)
    const load = new Load(8, async (w, seq, record) => {
      if (Date.now() > termAt + 2000) return sleep(50);
      const user = users[w % users.length];
      const marker = {};
      const onSent = () => sentAt.set(marker, Date.now());
      const common = { agent: loadAgent, timeoutMs: 15_000, onSent };
      let op: string;
      let r;
      if (w % 4 === 3) {
        op = 'POST /auth/register';
        r = await request(base, 'POST', '/auth/register', { ...common, body: { email: `sd-${w}-${seq}-${Date.now()}@faults.test`, password: 'correct horse battery' } });
      } else if (seq % 2) {
        op = 'GET /tasks';
        r = await request(base, 'GET', '/tasks?limit=5', { ...common, token: user.token });
      } else {
        op = 'POST /tasks';
        r = await request(base, 'POST', '/tasks', { ...common, token: user.token, body: { title: `sd-${w}-${seq}` } });
      }
      record(op, { ...r, startedAt: sentAt.get(marker) ?? Number.POSITIVE_INFINITY });
      if (r.status === 0) await sleep(100); // refused after the close: do not spin
    });

    await sleep(2000);
    // a lock on tasks (as the embedded server's superuser) holds every task request in flight across SIGTERM:
    // they must still complete, so the database must not be stopped under them
    const locker = await lockTasks(embeddedDir, embeddedPort);
    await sleep(400);
    termAt = Date.now();
    service.signal('SIGTERM'); // to npm, as a process manager does
    await sleep(600);
    await locker?.query('commit');
    await locker?.end();
    const exit = await service.waitExit(15_000);
    const results = await load.stop();
    idleAgent.destroy();
    loadAgent.destroy();

    const accepted = results.filter((r) => r.startedAt <= termAt - ACCEPTED_MARGIN_MS);
    const inFlightAtTerm = accepted.filter((r) => r.endedAt >= termAt);
    const later = results.filter((r) => r.startedAt > termAt - ACCEPTED_MARGIN_MS);
    process.stdout.write(
      `[faults] graceful shutdown: exit ${exit ? `${exit.code}/${exit.signal} after ${exit.at - termAt} ms` : 'none in 15 s'}; ` +
        `accepted before SIGTERM ${summarize(accepted)} (${inFlightAtTerm.length} in flight at SIGTERM); sent after ${summarize(later)}\n`,
    );

    expect(exit).toBeDefined();
    expect(exit!.at - termAt).toBeLessThanOrEqual(10_000);
    expect(exit!.code).toBe(0);
    expect(isAlive(nodePid)).toBe(false);
    // every request accepted before SIGTERM, including those still in flight, got its normal answer
    expect(inFlightAtTerm.length).toBeGreaterThan(0);
    expect(accepted.filter((r) => r.status !== 200 && r.status !== 201).map((r) => `${r.op} ${r.status || r.error} +${r.endedAt - termAt}ms`)).toEqual([]);
    // later ones may be refused, but never with a 500
    expect(later.filter((r) => r.status >= 500 && r.status !== 503)).toEqual([]);

    // the embedded PostgreSQL was shut down cleanly, not left running or killed
    const gone = await waitFor('the embedded postmaster to end', async () => !isRunning(postmasterPid), { timeoutMs: 3000, intervalMs: 50 }).catch(() => false);
    expect(gone).toBe(true);
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
    const control = await exec(path.join(PG_BIN, 'pg_controldata'), [dataDir]);
    expect(control.stdout).toMatch(/Database cluster state:\s+shut down\n/);
  });
});

/** Locks the tasks table in the embedded database, if its superuser password is where the service keeps it. */
async function lockTasks(embeddedDir: string, port: number): Promise<Client | undefined> {
  const password = await fs.readFile(`${embeddedDir}.password`, 'utf8').catch(() => undefined);
  if (!password) {
    process.stdout.write(`[faults] no ${embeddedDir}.password: no lock, relying on the load alone for requests in flight\n`);
    return undefined;
  }
  // the service's database (the app role's), where its tasks table is
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', password: password.trim(), database: 'app' });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('begin');
  await client.query('lock table tasks in access exclusive mode');
  return client;
}

async function findDataDir(wanted: string, logs: string): Promise<string> {
  if (existsSync(path.join(wanted, 'postmaster.pid'))) return wanted;
  const moved = /keeping the embedded database in (\S+) instead/.exec(logs)?.[1];
  if (moved && existsSync(path.join(moved, 'postmaster.pid'))) return moved;
  throw new Error(`cannot find the embedded cluster (looked in ${wanted}${moved ? ` and ${moved}` : ''})`);
}
