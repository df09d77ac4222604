/**
 * The service as a fleet. HAProxy (deploy/haproxy.cfg, and the plainest health-checked set-up) in
 * front of three instances of the production build, one PostgreSQL database and one Redis. Proves, through
 * the balancer, that registration, login and task CRUD work whichever instance answers, that a token of one
 * instance works on every other, that the failed-login limit is one shared count, and that a rolling restart
 * under steady load fails no request and loses no acknowledged write.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { privateBuild, removePrivateBuild } from '../support/built-server';
import { freePort } from '../support/free-port';
import { exampleConfig, HaproxyProcess, plainestConfig, type Backend } from './support/haproxy';
import { superuserUrlFor } from '../support/test-database';
import { sleep } from '../support/wait';
import { call, createFleetDatabase, Instance, keepAliveAgent, REDIS_URL, type HttpResult } from './support/fleet';

const PASSWORD = 'correct horse battery staple';
const LOOPS = 20;
const FIGURES_FILE = path.resolve(__dirname, '..', '.tmp', 'fleet', 'roll-figures.json');

interface User {
  email: string;
  token: string;
}

interface Outcome {
  op: string;
  status: number;
  error?: string;
  ms: number;
  at: number;
  server?: string;
}

describe('three instances behind HAProxy', () => {
  const run = `${process.pid}_${randomBytes(3).toString('hex')}`;
  let database: { url: string; drop(): Promise<void> } | undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'task-service-fleet-'));
  let mainJs: string;
  let instances: Instance[] = [];
  let proxy: HaproxyProcess | undefined;
  let backends: Backend[];
  const figures: Record<string, unknown> = {};

  beforeAll(async () => {
    mainJs = await privateBuild();
    database = await createFleetDatabase();
    const ports = [await freePort(), await freePort(), await freePort()];
    backends = ports.map((port, i) => ({ name: `app${i + 1}`, port }));
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      // this run's own counts in the shared Redis
      REDIS_KEY_PREFIX: `ts-fleet-${run}:`,
      // every user of this run registers from the balancer's one address
      REGISTER_IP_MAX: '1000',
      // a control experiment (FLEET_DRAIN_DELAY_MS=0 shows what the drain prevents); unset: the service's default
      ...(process.env.FLEET_DRAIN_DELAY_MS ? { SHUTDOWN_DRAIN_DELAY_MS: process.env.FLEET_DRAIN_DELAY_MS } : {}),
    };
    instances = backends.map((b) => new Instance(b.name, b.port, mainJs, env));
    // one instance migrates the empty database; the others start on the migrated schema
    await instances[0].start({ MIGRATE_ON_START: 'true' });
    await Promise.all(instances.slice(1).map((i) => i.start()));
  }, 600_000);

  afterAll(async () => {
    await proxy?.stop().catch(() => undefined);
    for (const instance of instances) await instance.kill();
    await database?.drop().catch(() => undefined);
    removePrivateBuild(mainJs);
    rmSync(dir, { recursive: true, force: true });
    if (Object.keys(figures).length) {
      mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
      writeFileSync(FIGURES_FILE, JSON.stringify(figures, null, 2));
    }
  });

  async function startProxy(kind: 'example' | 'plainest'): Promise<HaproxyProcess> {
    await proxy?.stop();
    rmSync(path.join(dir, 'admin.sock'), { force: true });
    const port = await freePort();
    proxy = await HaproxyProcess.start(dir, port, kind === 'example' ? await exampleConfig(dir, port, backends) : plainestConfig(dir, port, backends));
    for (const b of backends) await proxy.waitState(b.name, 'UP');
    return proxy;
  }

  async function registerThrough(baseUrl: string, label: string): Promise<User> {
    const email = `fleet-${label}-${run}-${randomBytes(3).toString('hex')}@example.com`;
    const res = await call(baseUrl, 'POST', '/auth/register', { body: { email, password: PASSWORD } });
    expect(res.status).toBe(201);
    return { email, token: res.body.accessToken as string };
  }

  it('serves registration, login and task CRUD whichever instance answers', async () => {
    const lb = (await startProxy('example')).baseUrl;
    const servedBy = new Set<string>();
    const seen = (res: HttpResult) => servedBy.add(String(res.headers['x-served-by']));
    for (let round = 0; round < 4; round++) {
      const user = await registerThrough(lb, `crud${round}`);
      const login = await call(lb, 'POST', '/auth/login', { body: { email: user.email, password: PASSWORD } });
      seen(login);
      expect(login.status).toBe(200);
      const token = login.body.accessToken as string;
      const created = await call(lb, 'POST', '/tasks', { token, body: { title: `crud ${round}` } });
      seen(created);
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      for (let i = 0; i < 3; i++) {
        const got = await call(lb, 'GET', `/tasks/${id}`, { token });
        seen(got);
        expect(got.status).toBe(200);
        expect(got.body.title).toBe(`crud ${round}`);
      }
      const patched = await call(lb, 'PATCH', `/tasks/${id}`, { token, body: { completed: true }, headers: { 'if-match': String(created.headers.etag) } });
      seen(patched);
      expect(patched.status).toBe(200);
      // the patch, whichever instance made it, is what every instance reads
      for (const instance of instances) expect((await call(instance.baseUrl, 'GET', `/tasks/${id}`, { token })).body.completed).toBe(true);
      const list = await call(lb, 'GET', '/tasks', { token });
      seen(list);
      expect(list.body.items.map((t: { id: string }) => t.id)).toEqual([id]);
      const deleted = await call(lb, 'DELETE', `/tasks/${id}`, { token });
      seen(deleted);
      expect(deleted.status).toBe(204);
      for (const instance of instances) expect((await call(instance.baseUrl, 'GET', `/tasks/${id}`, { token })).status).toBe(404);
    }
    expect([...servedBy].sort()).toEqual(backends.map((b) => b.name));
  });

  it('accepts a token issued by one instance on every other', async () => {
    for (const issuer of instances) {
      const user = await registerThrough(issuer.baseUrl, `token-${issuer.name}`);
      for (const other of instances) {
        const me = await call(other.baseUrl, 'GET', '/users/me', { token: user.token });
        expect({ issuer: issuer.name, on: other.name, status: me.status }).toEqual({ issuer: issuer.name, on: other.name, status: 200 });
      }
    }
  });

  it("refuses a deleted account's token on every instance, within the 2 s a verified token is trusted", async () => {
    const user = await registerThrough(instances[0].baseUrl, 'deleted');
    // every instance has verified the token, and would take it again from its cache
    for (const other of instances) expect((await call(other.baseUrl, 'GET', '/tasks', { token: user.token })).status).toBe(200);
    expect((await call(instances[0].baseUrl, 'DELETE', '/users/me', { token: user.token })).status).toBe(204);
    expect((await call(instances[0].baseUrl, 'GET', '/tasks', { token: user.token })).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    for (const other of instances) {
      const res = await call(other.baseUrl, 'GET', '/tasks', { token: user.token });
      expect({ on: other.name, status: res.status }).toEqual({ on: other.name, status: 401 });
    }
  });

  it('keeps one failed-login count for the whole fleet', async () => {
    const lb = proxy!.baseUrl;
    const user = await registerThrough(lb, 'limit');
    const answers: Array<{ status: number; server: string }> = [];
    // the default limit: 10 failures per client address and e-mail in 15 minutes, the 11th is refused
    for (let i = 0; i < 12; i++) {
      const res = await call(lb, 'POST', '/auth/login', { body: { email: user.email, password: `wrong password ${i}` } });
      answers.push({ status: res.status, server: String(res.headers['x-served-by']) });
    }
    // the failures were spread over every instance, and yet the 11th is refused: the count is shared
    expect(new Set(answers.slice(0, 10).map((a) => a.server)).size).toBe(3);
    expect(answers.map((a) => a.status)).toEqual([...Array(10).fill(401), 429, 429]);
    // whichever instance is asked next, directly, refuses too, even with the right password
    for (const instance of instances) {
      const res = await call(instance.baseUrl, 'POST', '/auth/login', { body: { email: user.email, password: PASSWORD } });
      expect({ on: instance.name, status: res.status }).toEqual({ on: instance.name, status: 429 });
      expect(res.headers['retry-after']).toBeDefined();
    }
  });

  async function rollUnderLoad(kind: 'example' | 'plainest'): Promise<void> {
    const lb = (await startProxy(kind)).baseUrl;
    const users = await Promise.all(Array.from({ length: LOOPS }, (_, w) => registerThrough(lb, `roll-${kind}-${w}`)));
    const agent = keepAliveAgent(LOOPS);
    const acknowledged = new Map<string, string>(); // task id -> title
    const outcomes: Outcome[] = [];
    const failures: Outcome[] = [];
    let stop = false;
    const t0 = Date.now();
    const record = (op: string, res: HttpResult, expected: number) => {
      const outcome: Outcome = { op, status: res.status, error: res.error, ms: res.ms, at: res.startedAt - t0, server: res.headers['x-served-by'] as string | undefined };
      outcomes.push(outcome);
      if (res.status !== expected) failures.push(outcome);
    };
    const loops = users.map(async (user, w) => {
      for (let seq = 0; !stop; seq++) {
        const title = `roll-${kind}-${w}-${seq}`;
        const created = await call(lb, 'POST', '/tasks', { agent, token: user.token, body: { title } });
        record('POST /tasks', created, 201);
        if (created.status === 201) acknowledged.set(created.body.id as string, title);
        record('GET /tasks', await call(lb, 'GET', '/tasks?limit=5', { agent, token: user.token }), 200);
        if (created.status === 201) record('GET /tasks/:id', await call(lb, 'GET', `/tasks/${created.body.id}`, { agent, token: user.token }), 200);
        if (created.status === 0 || created.status >= 500) await sleep(50);
      }
    });

    const steps: Array<Record<string, unknown>> = [];
    try {
      await sleep(1500);
      for (const instance of instances) {
        const step: Record<string, unknown> = { instance: instance.name, at: Date.now() - t0 };
        const exit = await instance.terminate();
        step.exit = `${exit.code}/${exit.signal} after ${exit.ms} ms`;
        expect(exit.code).toBe(0);
        expect(exit.ms).toBeLessThanOrEqual(10_000);
        const restartAt = Date.now();
        await instance.start();
        step.readyAfterMs = Date.now() - restartAt;
        step.upInHaproxyAfterMs = Date.now() - restartAt + (await proxy!.waitState(instance.name, 'UP'));
        steps.push(step);
      }
      await sleep(1500);
    } finally {
      stop = true;
      await Promise.all(loops);
      agent.destroy();
    }
    const rollMs = Date.now() - t0;

    // every acknowledged write is there, exactly once; nothing was written twice
    const listed = new Map<string, number>();
    for (const user of users) {
      let cursor: string | null = null;
      do {
        const page: HttpResult = await call(lb, 'GET', `/tasks?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: user.token });
        expect(page.status).toBe(200);
        for (const task of page.body.items as Array<{ id: string }>) listed.set(task.id, (listed.get(task.id) ?? 0) + 1);
        cursor = page.body.nextCursor as string | null;
      } while (cursor);
    }
    const lost = [...acknowledged.keys()].filter((id) => listed.get(id) !== 1);
    // as the superuser: past row-level security, every user's rows
    const db = new Client({ connectionString: superuserUrlFor(database!.url) });
    await db.connect();
    const duplicates = (
      await db.query<{ title: string; n: string }>(`select title, count(*) as n from tasks where title like $1 group by title having count(*) > 1`, [`roll-${kind}-%`])
    ).rows;
    await db.end();

    const latencies = outcomes.map((o) => o.ms).sort((a, b) => a - b);
    const connectionErrors = outcomes.filter((o) => o.status === 0);
    const serverErrors = outcomes.filter((o) => o.status >= 500);
    const result = {
      haproxyConfig: kind === 'example' ? 'deploy/haproxy.cfg' : 'plainest (inter 300 fall 1 rise 2, retries 3, option redispatch, default reuse, no retry-on)',
      loops: LOOPS,
      rollMs,
      requests: outcomes.length,
      acknowledgedWrites: acknowledged.size,
      connectionErrors: connectionErrors.length,
      serverErrors: serverErrors.length,
      otherUnexpected: failures.length - connectionErrors.length - serverErrors.length,
      lostWrites: lost.length,
      duplicatedWrites: duplicates.length,
      longestLatencyMs: latencies[latencies.length - 1],
      p99LatencyMs: latencies[Math.floor(latencies.length * 0.99)],
      medianLatencyMs: latencies[Math.floor(latencies.length / 2)],
      steps,
      firstFailures: failures.slice(0, 10),
    };
    figures[kind] = result;
    process.stdout.write(`[fleet] rolling restart through ${result.haproxyConfig}: ${JSON.stringify(result, null, 2)}\n`);

    expect(steps).toHaveLength(3);
    expect(failures).toEqual([]);
    expect(lost).toEqual([]);
    expect(duplicates).toEqual([]);
    expect(acknowledged.size).toBeGreaterThan(100);
  }

  it('rolls the three instances under load through deploy/haproxy.cfg with no failed request and no lost write', async () => {
    await rollUnderLoad('example');
  });

  it('rolls them with no failed request behind the plainest health-checked configuration too', async () => {
    await rollUnderLoad('plainest');
  });

});
