/**
 * Self-check of the fault harness, without the service: if one of these fails, the scenarios' results
 * say nothing about the service.
 */
import { Client } from 'pg';
import { PgBouncer } from './support/pgbouncer';
import { PgInstance } from './support/pg-instance';
import { TcpProxy } from './support/tcp-proxy';
import { sleep } from './support/util';

async function appQuery(connectionString: string, sql: string, ssl?: object, timeoutMs = 3000) {
  const client = new Client({ connectionString, ssl, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('fault harness', () => {
  const instances: PgInstance[] = [];
  const create = async (...args: Parameters<typeof PgInstance.create>) => {
    const pg = new PgInstance(...args);
    instances.push(pg);
    await pg.init();
    await pg.start();
    await pg.createAppDatabase();
    return pg;
  };
  afterAll(async () => {
    for (const pg of instances) await pg.destroy();
  });

  it('runs PostgreSQL 15 with TLS only, an app role that is no superuser, and survives restarts', async () => {
    const pg = await create({ name: 'harness', tlsOnly: true, appCreateDb: true });
    const [row] = await appQuery(pg.appUrl(), 'select current_user as u, ssl from pg_stat_ssl where pid = pg_backend_pid()', { rejectUnauthorized: false });
    expect(row).toEqual({ u: 'app', ssl: true });
    const [role] = await pg.superQuery('select rolsuper, rolcreatedb from pg_roles where rolname = $1', ['app']);
    expect(role).toEqual({ rolsuper: false, rolcreatedb: true });
    const [db] = await pg.superQuery("select pg_get_userbyid(datdba) as owner from pg_database where datname = 'app'");
    expect(db.owner).toBe('app');
    // plain TCP is refused, the self-signed CA verifies, a wrong CA does not
    await expect(appQuery(pg.appUrl(), 'select 1', undefined)).rejects.toThrow(/no encryption|pg_hba/);
    const { readFileSync } = await import('node:fs');
    await expect(appQuery(pg.appUrl({ host: 'localhost' }), 'select 1', { ca: readFileSync(pg.ca!.certFile, 'utf8') })).resolves.toHaveLength(1);
    await pg.restart('immediate');
    expect(await appQuery(pg.appUrl(), 'select 1 as one', { rejectUnauthorized: false })).toEqual([{ one: 1 }]);
    const held = new Client({ connectionString: pg.appUrl(), ssl: { rejectUnauthorized: false } });
    const errors: Error[] = [];
    held.on('error', (e) => errors.push(e));
    await held.connect();
    expect(await pg.terminateBackends()).toBeGreaterThanOrEqual(1);
    await sleep(300);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    await held.end().catch(() => undefined);
  });

  it('runs PgBouncer in transaction mode with SCRAM and refuses unknown startup parameters', async () => {
    const pg = await create({ name: 'harness-bouncer', appCreateDb: true });
    const bouncer = await PgBouncer.start(pg);
    try {
      expect(await appQuery(bouncer.url(), 'select current_user as u')).toEqual([{ u: 'app' }]);
      // a database created through the bouncer is reachable through it (the `*` route)
      await appQuery(bouncer.url(), 'create database app_w1');
      expect(await appQuery(bouncer.url('app_w1'), 'select current_database() as d')).toEqual([{ d: 'app_w1' }]);
      // as on Neon: startup parameters other than the tracked ones are refused
      const withOptions = new Client({ connectionString: bouncer.url(), statement_timeout: 1000 } as never);
      withOptions.on('error', () => undefined);
      await expect(withOptions.connect()).rejects.toThrow(/unsupported startup parameter/);
      // a wrong password is refused
      await expect(appQuery(bouncer.url('app', 'app', 'wrong'), 'select 1')).rejects.toThrow(/password authentication failed|SASL/);
    } finally {
      await bouncer.destroy();
    }
  });

  it('proxies, delays, black-holes and resets TCP connections', async () => {
    const pg = await create({ name: 'harness-proxy' });
    const proxy = await TcpProxy.start(pg.port);
    try {
      const url = pg.appUrl({ port: proxy.port });
      expect(await appQuery(url, 'select 1 as one')).toEqual([{ one: 1 }]);

      proxy.setMode({ kind: 'delay', ms: 300 });
      let t = Date.now();
      await appQuery(url, 'select 1', undefined, 10_000);
      expect(Date.now() - t).toBeGreaterThanOrEqual(900); // several round trips, each delayed both ways

      proxy.setMode({ kind: 'pass' });
      const held = new Client({ connectionString: url, query_timeout: 1000 });
      held.on('error', () => undefined);
      await held.connect();
      proxy.setMode({ kind: 'blackhole' });
      t = Date.now();
      await expect(held.query('select 1')).rejects.toThrow(/timeout/i);
      expect(Date.now() - t).toBeLessThan(2000);
      await expect(appQuery(url, 'select 1', undefined, 1000)).rejects.toThrow(/timeout/i);

      proxy.setMode({ kind: 'pass' });
      expect(await appQuery(url, 'select 2 as two')).toEqual([{ two: 2 }]);

      const open = new Client({ connectionString: url });
      const openErrors: Error[] = [];
      open.on('error', (e) => openErrors.push(e));
      await open.connect();
      proxy.setMode({ kind: 'reset' });
      await sleep(200);
      expect(openErrors.map((e) => (e as NodeJS.ErrnoException).code)).toContain('ECONNRESET');
      await expect(appQuery(url, 'select 1')).rejects.toThrow(/ECONNRESET|Connection terminated/);
      proxy.setMode({ kind: 'pass' });
      expect(await appQuery(url, 'select 3 as three')).toEqual([{ three: 3 }]);
      await held.end().catch(() => undefined);
    } finally {
      await proxy.close();
    }
  });

  it('cuts at a statement however it is sent: a simple query, Parse + Bind, or a Bind of a statement prepared before', async () => {
    const pg = await create({ name: 'harness-cut' });
    const proxy = await TcpProxy.start(pg.port);
    const client = new Client({ connectionString: pg.appUrl({ port: proxy.port }), query_timeout: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const seen: string[] = [];
      proxy.sniffer = (texts) => seen.push(...texts);
      await client.query('select 1 as simple');
      const prepared = { name: 'harness_prepared', text: 'select $1::int as prepared', values: [1] };
      await client.query(prepared); // Parse + Bind
      await client.query(prepared); // Bind only: pg sends the text once per connection
      proxy.sniffer = undefined;
      expect(seen).toEqual(['select 1 as simple', prepared.text, prepared.text, prepared.text]);

      // the third run of the prepared statement carries no text, and still trips the cut (its answer withheld)
      const fired = proxy.cutAt({ pattern: 'as prepared', deliver: true, how: 'reset' });
      await expect(client.query(prepared)).rejects.toThrow(/ECONNRESET|Connection terminated|timeout/i);
      expect(await fired).toBeGreaterThan(0);
    } finally {
      await client.end().catch(() => undefined);
      await proxy.close();
    }
  });
});
