/**
 * Proof that `sslmode=require` / `verify-full` in DATABASE_URL really encrypts the app's connections (MikroORM's
 * clientUrl alone would drop sslmode and connect in plain text). Self-contained: it starts its own PostgreSQL
 * from the embedded binaries, turns TLS on with a throw-away CA made by openssl, and stops it at the end.
 */
import { MikroORM as CoreMikroORM } from '@mikro-orm/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import request from 'supertest';
import { loadConfig } from '../../src/config/app-config';
import { EmbeddedPostgres } from '../../src/database/embedded';
import { ormOptions } from '../../src/database/orm-options';
import { startApp, TEST_JWT_SECRET } from '../support/test-app';
import { freePort } from '../support/free-port';
import { sleep } from '../support/wait';

const run = promisify(execFile);
const SSL_OF_THIS_CONNECTION = 'select ssl, version from pg_stat_ssl where pid = pg_backend_pid()';


async function makeCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', key, '-out', cert,
  ]);
  return { cert, key };
}

/** server.crt/server.key for localhost and 127.0.0.1, signed by `ca`. */
async function makeServerCert(dir: string, ca: { cert: string; key: string }): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, 'server.crt');
  const key = path.join(dir, 'server.key');
  const csr = path.join(dir, 'server.csr');
  const ext = path.join(dir, 'server.ext');
  writeFileSync(ext, 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', key, '-out', csr]);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '2', '-sha256', '-extfile', ext, '-out', cert]);
  return { cert, key };
}

describe('TLS to PostgreSQL', () => {
  let tmpDir: string;
  let pg: EmbeddedPostgres;
  let superUrl: URL;
  let ca: { cert: string; key: string };
  let otherCa: { cert: string; key: string };

  /** The app's URL to the `app` database on this server, with the given query string. */
  const appUrl = (query: string, host = '127.0.0.1') => {
    const url = new URL(superUrl.toString());
    url.hostname = host;
    url.pathname = '/tls_app';
    url.search = query;
    return url.toString();
  };

  async function superQuery<R extends Record<string, unknown>>(sql: string): Promise<R[]> {
    const client = new Client({ connectionString: superUrl.toString() });
    await client.connect();
    try {
      return (await client.query<R>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  async function sslOfOrmConnection(url: string): Promise<Record<string, unknown>> {
    const orm = await MikroORM.init({ ...ormOptions(loadConfig({ NODE_ENV: 'test', DATABASE_URL: url }), url), logger: () => undefined });
    try {
      const rows = await orm.em.getConnection().execute(SSL_OF_THIS_CONNECTION);
      return rows[0];
    } finally {
      await orm.close(true);
    }
  }

  beforeAll(async () => {
    tmpDir = mkdtempSync(path.join(os.tmpdir(), 'task-service-tls-'));
    chmodSync(tmpDir, 0o755); // as root, PostgreSQL runs as `postgres`, which must reach its data folder
    pg = await EmbeddedPostgres.start({ dataDir: path.join(tmpDir, 'pg'), port: await freePort(), log: () => undefined });
    superUrl = new URL(pg.adminUrl); // the superuser: the test turns TLS on with ALTER SYSTEM

    const tlsDir = path.join(tmpDir, 'tls');
    mkdirSync(tlsDir);
    ca = await makeCa(tlsDir, 'task-service test CA');
    otherCa = await makeCa(tlsDir, 'some other CA');
    const server = await makeServerCert(tlsDir, ca);
    const owner = statSync(pg.dataDir);
    for (const [from, to] of [[server.cert, 'server.crt'], [server.key, 'server.key']]) {
      const target = path.join(pg.dataDir, to);
      copyFileSync(from, target);
      chownSync(target, owner.uid, owner.gid);
      chmodSync(target, 0o600);
    }
    await superQuery('alter system set ssl = on');
    await superQuery('select pg_reload_conf()');
    for (let i = 0; i < 50 && (await superQuery<{ ssl: string }>('show ssl'))[0].ssl !== 'on'; i++) {
      await sleep(100);
    }
    await superQuery('create database tls_app');
  }, 120_000);

  afterAll(async () => {
    await pg?.stop();
    for (const dir of [tmpDir, pg?.dataDir, pg && `${pg.dataDir}.password`]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the server serves TLS', async () => {
    await expect(superQuery('show ssl')).resolves.toEqual([{ ssl: 'on' }]);
  });

  it('without sslmode the connection is plain text (the check can fail)', async () => {
    await expect(sslOfOrmConnection(appUrl(''))).resolves.toMatchObject({ ssl: false });
  });

  it('sslmode=require: the ORM connection is encrypted', async () => {
    await expect(sslOfOrmConnection(appUrl('?sslmode=require'))).resolves.toMatchObject({ ssl: true, version: expect.stringMatching(/^TLSv1\.[23]$/) });
  });

  it('sslmode=require&channel_binding=require (a Neon URL): encrypted, with SCRAM channel binding', async () => {
    await expect(sslOfOrmConnection(appUrl('?sslmode=require&channel_binding=require'))).resolves.toMatchObject({ ssl: true });
  });

  it('sslmode=verify-full with the right CA: encrypted, certificate and host name verified', async () => {
    const url = appUrl(`?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca.cert)}`, 'localhost');
    await expect(sslOfOrmConnection(url)).resolves.toMatchObject({ ssl: true });
  });

  it('sslmode=verify-full with another CA: refused, the certificate is really checked', async () => {
    const url = appUrl(`?sslmode=verify-full&sslrootcert=${encodeURIComponent(otherCa.cert)}`, 'localhost');
    const orm = await MikroORM.init({ ...ormOptions(loadConfig({ NODE_ENV: 'test', DATABASE_URL: url }), url), logger: () => undefined });
    try {
      await expect(orm.em.getConnection().execute('select 1')).rejects.toThrow(/certificate/i);
    } finally {
      await orm.close(true);
    }
  });

  it('the whole app on DATABASE_URL=...?sslmode=require migrates, serves, and its ORM talks TLS', async () => {
    const url = appUrl('?sslmode=require');
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent', MIGRATE_ON_START: 'true' });
    const app = await startApp(config);
    try {
      const orm = app.get(CoreMikroORM);
      const rows = await orm.em.fork().getConnection().execute(SSL_OF_THIS_CONNECTION);
      expect(rows).toEqual([{ ssl: true, version: expect.any(String) }]);

      await request(app.getHttpServer()).get('/health/ready').expect(200);
      await request(app.getHttpServer()).post('/auth/register').send({ email: 'tls@example.com', password: 'over tls please' }).expect(201);
      const sessions = await superQuery<{ ssl: boolean; n: string }>(
        "select s.ssl, count(*) as n from pg_stat_activity a join pg_stat_ssl s using (pid) where a.datname = 'tls_app' group by s.ssl",
      );
      expect(sessions).toEqual([{ ssl: true, n: expect.any(String) }]); // every session of the app on its database
    } finally {
      await app.close();
    }
  });
});
