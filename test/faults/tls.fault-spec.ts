/**
 * PostgreSQL with a self-signed certificate (and no plain-TCP access at all).
 * sslmode=require connects; verify-full with the right CA connects; verify-full with the wrong CA makes the
 * service refuse to start, exiting non-zero with one clear line on stderr.
 */
import path from 'node:path';
import { Resources } from './support/fixture';
import { request, registerUser } from './support/http';
import type { PgInstance } from './support/pg-instance';
import { makeCa } from './support/tls';

describe('TLS to the database', () => {
  const res = new Resources();
  let pg: PgInstance;

  beforeAll(async () => {
    pg = await res.pg({ name: 'tls', tlsOnly: true });
  });
  afterAll(() => res.teardown());

  async function sslOfAppConnections(): Promise<boolean[]> {
    const rows = await pg.superQuery<{ ssl: boolean }>(
      "select s.ssl from pg_stat_activity a join pg_stat_ssl s using (pid) where a.usename = 'app'",
    );
    return rows.map((r) => r.ssl);
  }

  it('connects with sslmode=require (the server accepts TLS only) and serves requests', async () => {
    const service = await res.service({
      name: 'tls-require',
      env: { DATABASE_URL: pg.appUrl({ query: { sslmode: 'require' } }), DATABASE_POOL_MIN: '1' },
    });
    const user = await registerUser(service.baseUrl, 'tls');
    const created = await request(service.baseUrl, 'POST', '/tasks', { token: user.token, body: { title: 'over TLS' }, timeoutMs: 10_000 });
    expect(created.status).toBe(201);
    const fetched = await request(service.baseUrl, 'GET', `/tasks/${created.body.id}`, { token: user.token, timeoutMs: 10_000 });
    expect(fetched.status).toBe(200);
    expect(fetched.body.title).toBe('over TLS');
    const ssl = await sslOfAppConnections();
    expect(ssl.length).toBeGreaterThan(0);
    expect(ssl.every(Boolean)).toBe(true);
    expect((await service.stop()).code).toBe(0);
  });

  it('connects with sslmode=verify-full and the right CA', async () => {
    const service = await res.service({
      name: 'tls-verify-full',
      env: { DATABASE_URL: pg.appUrl({ query: { sslmode: 'verify-full', sslrootcert: pg.ca!.certFile } }) },
    });
    const user = await registerUser(service.baseUrl, 'tls-vf');
    const me = await request(service.baseUrl, 'GET', '/users/me', { token: user.token, timeoutMs: 10_000 });
    expect(me.status).toBe(200);
    expect((await service.stop()).code).toBe(0);
  });

  it('refuses to start with verify-full and the wrong CA: non-zero exit, one clear line on stderr', async () => {
    const wrongCa = await makeCa(path.join(pg.baseDir, 'wrong-ca'), 'wrong');
    const startupTimeoutMs = 12_000;
    const service = await res.spawnService({
      name: 'tls-wrong-ca',
      env: {
        DATABASE_URL: pg.appUrl({ query: { sslmode: 'verify-full', sslrootcert: wrongCa.certFile } }),
        DATABASE_STARTUP_TIMEOUT_MS: String(startupTimeoutMs),
      },
    });
    const exit = await service.waitExit(startupTimeoutMs + 15_000);
    expect(exit).toBeDefined();
    const elapsed = exit!.at - service.startedAt;
    process.stdout.write(`[faults] wrong CA: exit ${exit!.code} after ${elapsed} ms; stderr: ${service.stderr.trim()}\n`);
    expect(exit!.code).not.toBe(0);
    expect(exit!.code).not.toBeNull();
    // a certificate that does not verify will not verify later either: it refuses at once, without waiting out the deadline
    expect(elapsed).toBeLessThan(startupTimeoutMs);
    const lines = service.stderrLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/certificate|TLS|SSL/i);
    // no stack trace (its frames are lines of their own: look at stderr before it is split), no password
    expect(service.stderr).not.toMatch(/\n\s*at \S/);
    expect(service.stderr + service.stdout).not.toContain(pg.appPassword);
  });
});
