/**
 * A network between service and database that stops answering, resets, or is slow (a TCP
 * proxy of the test's own). Requests answer 503 within the configured timeout budget instead of hanging,
 * and recover once the proxy passes traffic again. A statement that exceeds the statement timeout is a 503
 * and leaves the connection usable.
 */
import type { Client } from 'pg';
import { contractViolations, Resources, summarize } from './support/fixture';
import { isRetryable503, request, registerUser, type HttpResult, type TestUser } from './support/http';
import type { PgInstance } from './support/pg-instance';
import type { ServiceProcess } from './support/service';
import type { TcpProxy } from './support/tcp-proxy';
import { sleep } from './support/util';

/** The contract's budget (the defaults: connect 3 s, acquire 4 s, statement 4 s all fit in it). */
const BUDGET_MS = 5000;

describe('a network that stops answering', () => {
  const res = new Resources();
  let pg: PgInstance;
  let proxy: TcpProxy;
  let service: ServiceProcess;
  let user: TestUser;

  beforeAll(async () => {
    pg = await res.pg({ name: 'net' });
    proxy = await res.proxy(pg.port);
    // the proxy recognises a write by its SQL text, however MikroORM sends it
    service = await res.service({ name: 'network', env: { DATABASE_URL: pg.appUrl({ port: proxy.port }) } });
    user = await registerUser(service.baseUrl, 'net');
  });
  afterAll(() => res.teardown());

  const wave = (n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i): Promise<HttpResult & { op: string }> => {
        const tag = (op: string) => (r: HttpResult) => ({ ...r, op });
        const opts = { token: user.token, timeoutMs: 20_000 };
        if (i % 3 === 0) return request(service.baseUrl, 'POST', '/tasks', { ...opts, body: { title: `n${i}` } }).then(tag('POST /tasks'));
        if (i % 3 === 1) return request(service.baseUrl, 'GET', '/tasks', opts).then(tag('GET /tasks'));
        return request(service.baseUrl, 'GET', '/users/me', opts).then(tag('GET /users/me'));
      }),
    );

  async function expectRecovery(label: string): Promise<void> {
    const from = Date.now();
    let last: HttpResult[] = [];
    while (Date.now() - from < 12_000) {
      last = await wave(6);
      expect(contractViolations(last, [200, 201], BUDGET_MS)).toEqual([]);
      if (last.every((r) => r.status === 200 || r.status === 201)) break;
      await sleep(250);
    }
    process.stdout.write(`[faults] ${label}: recovered in ${Date.now() - from} ms\n`);
    expect(last.map((r) => r.status).filter((s) => s !== 200 && s !== 201)).toEqual([]);
    expect(service.running).toBe(true);
  }

  it('a black hole: every request is a 503 + Retry-After within the budget, live stays 200; then it recovers', async () => {
    await wave(9); // warm pool
    proxy.setMode({ kind: 'blackhole' });
    const [first, ready, live] = await Promise.all([
      wave(9),
      request(service.baseUrl, 'GET', '/health/ready', { timeoutMs: 20_000 }),
      sleep(500).then(() => request(service.baseUrl, 'GET', '/health/live', { timeoutMs: 20_000 })),
    ]);
    const second = await wave(6); // the pool is now full of stuck connections, or emptied of them
    process.stdout.write(`[faults] black hole: first wave ${summarize(first)}; second wave ${summarize(second)}; ready ${ready.status} in ${ready.ms} ms; live ${live.status} in ${live.ms} ms\n`);
    expect([...first, ...second].filter((r) => !isRetryable503(r) || r.ms > BUDGET_MS).map((r) => `${r.op} ${r.status || r.error} ${r.ms}ms`)).toEqual([]);
    expect(ready.status).toBe(503);
    expect(ready.ms).toBeLessThanOrEqual(BUDGET_MS);
    expect(live.status).toBe(200);
    expect(live.ms).toBeLessThan(1000);
    proxy.setMode({ kind: 'pass' });
    await expectRecovery('black hole');
  });

  it('connections reset: 503 + Retry-After fast, then it recovers', async () => {
    await wave(6);
    proxy.setMode({ kind: 'reset' });
    const results = await wave(9);
    process.stdout.write(`[faults] reset: ${summarize(results)}\n`);
    expect(results.filter((r) => !isRetryable503(r) || r.ms > BUDGET_MS).map((r) => `${r.op} ${r.status || r.error} ${r.ms}ms`)).toEqual([]);
    proxy.setMode({ kind: 'pass' });
    await expectRecovery('reset');
  });

  /**
   * The statement that makes a write durable: COMMIT when the service wraps it in a transaction, else the
   * write statement itself (autocommit). Learnt by watching one such request go through the proxy.
   */
  async function finalStatement(send: () => Promise<HttpResult>, dml: RegExp): Promise<{ pattern: string; after?: string }> {
    const seen: string[] = [];
    proxy.sniffer = (texts) => seen.push(...texts);
    try {
      const r = await send();
      expect(r.status).toBeLessThan(300);
    } finally {
      proxy.sniffer = undefined;
    }
    const text = seen.join('\n');
    const write = dml.exec(text);
    if (!write) throw new Error(`no ${dml} among the statements sent: ${text.replace(/[^\x20-\x7e]+/g, ' ').slice(0, 500)}`);
    // the COMMIT that follows the write, if any: earlier reads of the request may run in transactions of their own
    const commit = /\bcommit\b/i.exec(text.slice(write.index));
    return commit ? { pattern: commit[0], after: write[0] } : { pattern: write[0] };
  }

  type Write = {
    name: string;
    dml: RegExp;
    prepare: () => Promise<{ send: () => Promise<HttpResult>; applied: () => Promise<boolean>; whole: () => Promise<boolean> }>;
  };
  const writes: Write[] = [
    {
      name: 'POST /tasks',
      dml: /insert into "tasks"/i,
      prepare: async () => {
        const title = `cut-${Date.now()}-${Math.random()}`;
        const rows = () => pg.superQuery<{ title: string; description: string }>('select title, description from tasks where title = $1', [title], 'app');
        return {
          send: () => request(service.baseUrl, 'POST', '/tasks', { token: user.token, body: { title, description: title }, timeoutMs: 20_000 }),
          applied: async () => (await rows()).length > 0,
          whole: async () => (await rows()).every((r) => r.description === r.title) && (await rows()).length <= 1,
        };
      },
    },
    {
      name: 'PATCH /tasks/:id',
      dml: /update "tasks"/i,
      prepare: async () => {
        const created = await request(service.baseUrl, 'POST', '/tasks', { token: user.token, body: { title: 'before', description: 'before' }, timeoutMs: 10_000 });
        const id = created.body.id as string;
        const value = `after-${Date.now()}`;
        const row = async () => (await pg.superQuery<{ title: string; description: string }>('select title, description from tasks where id = $1', [id], 'app'))[0];
        return {
          send: () => request(service.baseUrl, 'PATCH', `/tasks/${id}`, { token: user.token, body: { title: value, description: value }, timeoutMs: 20_000 }),
          applied: async () => (await row()).title === value,
          whole: async () => (await row()).title === (await row()).description,
        };
      },
    },
    {
      name: 'POST /auth/register',
      dml: /insert into "users"/i,
      prepare: async () => {
        const email = `cut-${Date.now()}-${Math.floor(Math.random() * 1e6)}@faults.test`;
        const rows = () => pg.superQuery<{ email: string; password_hash: string }>('select email, password_hash from users where email = $1', [email], 'app');
        return {
          send: () => request(service.baseUrl, 'POST', '/auth/register', { body: { email, password: 'correct horse battery', name: 'cut' }, timeoutMs: 20_000 }),
          applied: async () => (await rows()).length > 0,
          whole: async () => (await rows()).every((r) => r.password_hash.startsWith('$argon2')),
        };
      },
    },
    {
      name: 'PATCH /users/me',
      dml: /update "users"/i,
      prepare: async () => {
        const someone = await registerUser(service.baseUrl, 'cut-rename');
        const name = `renamed-${Date.now()}`;
        const row = async () => (await pg.superQuery<{ name: string }>('select name from users where id = $1', [someone.id], 'app'))[0];
        return {
          send: () => request(service.baseUrl, 'PATCH', '/users/me', { token: someone.token, body: { name }, timeoutMs: 20_000 }),
          applied: async () => (await row()).name === name,
          whole: async () => (await row()) !== undefined,
        };
      },
    },
    {
      name: 'DELETE /users/me',
      dml: /delete from "users"/i,
      prepare: async () => {
        const doomed = await registerUser(service.baseUrl, 'cut-doomed');
        for (const title of ['a', 'b']) await request(service.baseUrl, 'POST', '/tasks', { token: doomed.token, body: { title }, timeoutMs: 10_000 });
        const users = async () => (await pg.superQuery('select 1 from users where id = $1', [doomed.id], 'app')).length;
        const tasks = async () => (await pg.superQuery('select 1 from tasks where user_id = $1', [doomed.id], 'app')).length;
        return {
          send: () => request(service.baseUrl, 'DELETE', '/users/me', { token: doomed.token, timeoutMs: 20_000 }),
          applied: async () => (await users()) === 0,
          whole: async () => ((await users()) === 0 ? (await tasks()) === 0 : (await tasks()) === 2),
        };
      },
    },
  ];

  for (const write of writes) {
    for (const [deliver, how] of [[true, 'close'], [true, 'reset'], [false, 'close'], [false, 'reset']] as const) {
      const what = `${how === 'close' ? 'closed (FIN)' : 'reset (RST)'} ${deliver ? 'after the final statement reached the database (its answer lost)' : 'before the final statement reached the database'}`;
      it(`${write.name}: the connection ${what}: 503 + Retry-After, never 500; ${deliver ? 'applied' : 'not applied'}, and whole`, async () => {
        await wave(3);
        const learn = await write.prepare();
        const { pattern, after } = await finalStatement(learn.send, write.dml);
        const target = await write.prepare();
        const fired = proxy.cutAt({ pattern, after, deliver, how });
        const answer = await target.send();
        const firedAt = await Promise.race([fired, sleep(100).then(() => 0)]);
        proxy.disarm();
        await sleep(100);
        const applied = await target.applied();
        process.stdout.write(`[faults] ${write.name}, cut at "${pattern}", ${what}: ${answer.status} in ${answer.ms} ms (${answer.text.slice(0, 120)}); applied: ${applied}\n`);
        expect(firedAt).toBeGreaterThan(0); // the fault did hit this request
        expect(isRetryable503(answer)).toBe(true);
        // the outcome is unknown to the client, but it is exactly what reached the database, and whole
        expect(applied).toBe(deliver);
        expect(await target.whole()).toBe(true);
        await expectRecovery(`${write.name} cut`);
      });
    }
  }

  it('a slow network (150 ms each way per packet) still serves every request', async () => {
    proxy.setMode({ kind: 'delay', ms: 150 });
    try {
      const results = await wave(6);
      process.stdout.write(`[faults] delay 150 ms: ${summarize(results)}\n`);
      expect(results.map((r) => r.status).filter((s) => s !== 200 && s !== 201)).toEqual([]);
    } finally {
      proxy.setMode({ kind: 'pass' });
    }
  });

  it('a network slower than the budget (6 s per packet) is a 503 within the budget; then it recovers', async () => {
    await wave(3);
    proxy.setMode({ kind: 'delay', ms: 6000 });
    const results = await wave(6);
    process.stdout.write(`[faults] delay 6 s: ${summarize(results)}\n`);
    expect(results.filter((r) => !isRetryable503(r) || r.ms > BUDGET_MS).map((r) => `${r.op} ${r.status || r.error} ${r.ms}ms`)).toEqual([]);
    proxy.setMode({ kind: 'pass' });
    await expectRecovery('delay 6 s');
  });
});

describe('a statement over the statement timeout', () => {
  const res = new Resources();
  let pg: PgInstance;
  let service: ServiceProcess;
  let user: TestUser;
  let locker: Client | undefined;

  beforeAll(async () => {
    pg = await res.pg({ name: 'stmt' });
    // a 2 s statement timeout, set as the README says (a role's setting wins over the 4 s the migration gives the
    // database): the server ends the statement itself, so its connection is free at once
    await pg.superQuery("alter role app set statement_timeout = '2s'");
    // one connection only: if the timed-out statement kept it, the next request could not be served
    service = await res.service({
      name: 'statement-timeout',
      env: { DATABASE_URL: pg.appUrl(), DATABASE_POOL_MAX: '1' },
    });
    user = await registerUser(service.baseUrl, 'stmt');
  });
  afterAll(async () => {
    await locker?.end().catch(() => undefined);
    await res.teardown();
  });

  it('is a 503 + Retry-After, and the connection serves the next request at once', async () => {
    const base = service.baseUrl;
    expect((await request(base, 'POST', '/tasks', { token: user.token, body: { title: 'before' }, timeoutMs: 10_000 })).status).toBe(201);
    // another session holds a lock on tasks: any statement on tasks waits past the timeout
    locker = await pg.superClient('app');
    await locker.query('begin');
    await locker.query('lock table tasks in access exclusive mode');

    const slow = await request(base, 'GET', '/tasks', { token: user.token, timeoutMs: 20_000 });
    process.stdout.write(`[faults] statement timeout: GET /tasks ${slow.status} in ${slow.ms} ms (${slow.text.slice(0, 200)})\n`);
    expect(isRetryable503(slow)).toBe(true);
    expect(slow.ms).toBeGreaterThanOrEqual(1900);
    expect(slow.ms).toBeLessThanOrEqual(BUDGET_MS);

    // the lock is still held: a request that does not touch tasks is served on the (only) connection
    const me = await request(base, 'GET', '/users/me', { token: user.token, timeoutMs: 20_000 });
    const waiting = await pg.superQuery<{ n: string }>(
      "select count(*) as n from pg_stat_activity where usename = 'app' and wait_event_type = 'Lock'",
    );
    process.stdout.write(`[faults] statement timeout: next GET /users/me ${me.status} in ${me.ms} ms; app sessions still waiting on the lock: ${waiting[0].n}\n`);
    expect(me.status).toBe(200);
    expect(me.ms).toBeLessThan(1500);
    // (whether the timed-out statement goes on waiting in the database is reported above, not asserted:
    // a client-side timeout that discards the connection leaves the server session waiting until the lock goes)

    await locker.query('commit');
    await locker.end();
    locker = undefined;
    const after = await request(base, 'GET', '/tasks', { token: user.token, timeoutMs: 10_000 });
    expect(after.status).toBe(200);
    expect(after.body.items.map((t: { title: string }) => t.title)).toContain('before');
    expect(service.running).toBe(true);
  });
});
