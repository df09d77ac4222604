/**
 * The built service behind PgBouncer configured like Neon's pooler (transaction pooling, SCRAM,
 * ignore_startup_parameters empty): it migrates and serves through it, survives the server connections
 * behind the pooler being cut and the pooler itself restarting.
 */
import { contractViolations, Resources, summarize } from './support/fixture';
import { listAllTasks, request, registerUser, type HttpResult, type TestUser } from './support/http';
import type { PgBouncer } from './support/pgbouncer';
import type { PgInstance } from './support/pg-instance';
import type { ServiceProcess } from './support/service';
import { sleep } from './support/util';

const BUDGET_MS = 5000;

describe('the service through PgBouncer in transaction mode', () => {
  const res = new Resources();
  let pg: PgInstance;
  let bouncer: PgBouncer;
  let service: ServiceProcess;
  let users: TestUser[];

  beforeAll(async () => {
    pg = await res.pg({ name: 'bouncer' });
    bouncer = await res.bouncer(pg, { poolSize: 5 });
    // migrations run through the pooler too (no DATABASE_DIRECT_URL): a transaction-level advisory lock
    service = await res.service({ name: 'pgbouncer', env: { DATABASE_URL: bouncer.url() } });
  });
  afterAll(() => res.teardown());

  const wave = (n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i): Promise<HttpResult & { op: string }> => {
        const user = users[i % users.length];
        const tag = (op: string) => (r: HttpResult) => ({ ...r, op });
        if (i % 2) return request(service.baseUrl, 'GET', '/tasks?limit=5', { token: user.token, timeoutMs: 20_000 }).then(tag('GET /tasks'));
        return request(service.baseUrl, 'POST', '/tasks', { token: user.token, body: { title: `b${i}` }, timeoutMs: 20_000 }).then(tag('POST /tasks'));
      }),
    );

  it('migrates and serves the API with more concurrent requests than server connections', async () => {
    users = await Promise.all(['pgb-a', 'pgb-b', 'pgb-c'].map((l) => registerUser(service.baseUrl, l)));
    const results = await wave(30);
    expect(results.filter((r) => r.status !== 200 && r.status !== 201).map((r) => `${r.op} ${r.status} ${r.text.slice(0, 200)}`)).toEqual([]);
    // paging, conditional update and the cascade on delete, all through the pooler
    const all = await listAllTasks(service.baseUrl, users[0].token);
    expect(all.length).toBe(5);
    const first = await request(service.baseUrl, 'GET', `/tasks/${all[0].id}`, { token: users[0].token, timeoutMs: 10_000 });
    const etag = String(first.headers.etag);
    const patched = await request(service.baseUrl, 'PATCH', `/tasks/${all[0].id}`, { token: users[0].token, headers: { 'if-match': etag }, body: { completed: true }, timeoutMs: 10_000 });
    expect(patched.status).toBe(200);
    const stale = await request(service.baseUrl, 'PATCH', `/tasks/${all[0].id}`, { token: users[0].token, headers: { 'if-match': etag }, body: { completed: false }, timeoutMs: 10_000 });
    expect(stale.status).toBe(412);
    const doomed = await registerUser(service.baseUrl, 'pgb-doomed');
    expect((await request(service.baseUrl, 'POST', '/tasks', { token: doomed.token, body: { title: 'x' }, timeoutMs: 10_000 })).status).toBe(201);
    expect((await request(service.baseUrl, 'DELETE', '/users/me', { token: doomed.token, timeoutMs: 10_000 })).status).toBe(204);
    expect((await request(service.baseUrl, 'GET', '/users/me', { token: doomed.token, timeoutMs: 10_000 })).status).toBe(401);
    const left = await pg.superQuery('select count(*)::int as n from tasks where user_id = $1', [doomed.id], 'app');
    expect(left[0].n).toBe(0);
    // nothing the pooler had to refuse: startup parameters, prepared statements, protocol errors
    expect((await bouncer.log()).split('\n').filter((l) => /unsupported|prepared statement|protocol|ERROR/i.test(l))).toEqual([]);
  });

  it('rides through the server connections behind the pooler being cut (compute suspend)', async () => {
    await wave(6);
    const cutAt = Date.now();
    expect(await pg.terminateBackends()).toBeGreaterThan(0);
    const after = await wave(9);
    process.stdout.write(`[faults] pgbouncer, server connections cut: ${summarize(after)}\n`);
    expect(contractViolations(after, [200, 201], BUDGET_MS)).toEqual([]);
    let ok = false;
    while (!ok && Date.now() - cutAt < 5000) {
      ok = (await wave(6)).every((r) => r.status === 200 || r.status === 201);
      if (!ok) await sleep(200);
    }
    expect(ok).toBe(true);
  });

  it('rides through the pooler itself restarting: 503 + Retry-After while it is away, then serves again', async () => {
    await bouncer.stop();
    const down = await wave(6);
    const ready = await request(service.baseUrl, 'GET', '/health/ready', { timeoutMs: 20_000 });
    await bouncer.start();
    const upAt = Date.now();
    process.stdout.write(`[faults] pgbouncer stopped: ${summarize(down)}; ready ${ready.status}\n`);
    expect(contractViolations(down, [], BUDGET_MS)).toEqual([]);
    expect(ready.status).toBe(503);
    let ok = false;
    while (!ok && Date.now() - upAt < 10_000) {
      const results = await wave(6);
      expect(contractViolations(results, [200, 201], BUDGET_MS)).toEqual([]);
      ok = results.every((r) => r.status === 200 || r.status === 201);
      if (!ok) await sleep(200);
    }
    expect(ok).toBe(true);
    expect(service.running).toBe(true);
  });

  it('starts with DATABASE_URL through the pooler and DATABASE_DIRECT_URL for migrations', async () => {
    const second = await res.service({ name: 'pgbouncer-direct', env: { DATABASE_URL: bouncer.url(), DATABASE_DIRECT_URL: pg.appUrl() } });
    const user = await registerUser(second.baseUrl, 'pgb-direct');
    expect((await request(second.baseUrl, 'POST', '/tasks', { token: user.token, body: { title: 'two instances' }, timeoutMs: 10_000 })).status).toBe(201);
    expect((await second.stop()).code).toBe(0);
  });
});

describe('two users through one server connection of PgBouncer in transaction mode', () => {
  const res = new Resources();
  let pg: PgInstance;
  let service: ServiceProcess;

  beforeAll(async () => {
    pg = await res.pg({ name: 'bouncer-one' });
    // one server connection for every transaction of the service: the row-level security setting of one user's
    // transaction must not outlive it on the connection the next user's transaction gets
    const bouncer = await res.bouncer(pg, { poolSize: 1 });
    // migrations on the direct URL, as documented: MikroORM's migrator checks the database on a second
    // connection while its transaction holds the first, which a one-connection pool cannot give
    service = await res.service({ name: 'pgbouncer-one', env: { DATABASE_URL: bouncer.url(), DATABASE_DIRECT_URL: pg.appUrl(), DATABASE_POOL_MAX: '8' } });
  });
  afterAll(() => res.teardown());

  it("never shows one user's rows to the other when their requests interleave", async () => {
    const [alice, bob] = await Promise.all([registerUser(service.baseUrl, 'one-alice'), registerUser(service.baseUrl, 'one-bob')]);
    const create = (user: TestUser, i: number) => request(service.baseUrl, 'POST', '/tasks', { token: user.token, body: { title: `${user.email} ${i}` }, timeoutMs: 20_000 });
    const created = await Promise.all([0, 1, 2].flatMap((i) => [create(alice, i), create(bob, i)]));
    expect(created.map((r) => r.status)).toEqual(Array(6).fill(201));
    const own = (user: TestUser) => created.filter((r) => String((r.body as { title: string }).title).startsWith(user.email)).map((r) => (r.body as { id: string }).id).sort();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const [user, other] = i % 2 ? [alice, bob] : [bob, alice];
        if (i % 4 < 2) return request(service.baseUrl, 'GET', '/tasks?limit=100', { token: user.token, timeoutMs: 20_000 }).then((r) => ({ user, r, kind: 'list' }));
        return request(service.baseUrl, 'GET', `/tasks/${own(other)[i % 3]}`, { token: user.token, timeoutMs: 20_000 }).then((r) => ({ user, r, kind: 'other' }));
      }),
    );
    for (const { user, r, kind } of results) {
      if (kind === 'other') expect(r.status).toBe(404);
      else expect({ status: r.status, ids: ((r.body as { items?: { id: string }[] }).items ?? []).map((t) => t.id).sort() }).toEqual({ status: 200, ids: own(user) });
    }
    expect(await pg.backendCount()).toBeLessThanOrEqual(1);
  });
});
