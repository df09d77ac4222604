/**
 * Start-up against databases that answer and refuse: waitForDatabase fails at once (not after
 * DATABASE_STARTUP_TIMEOUT_MS) with one clear message, and only a database that is not there yet is retried.
 * The password-demanding server is this run's embedded one (serverUrl(): the server itself, not a pooler); the trust-auth and TLS-less server is the
 * machine's PostgreSQL on 127.0.0.1:5432 (its cases are skipped when it is not there).
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { loadConfig } from '../../src/config/app-config';
import { ormOptions } from '../../src/database/orm-options';
import { DatabaseUnavailableError, waitForDatabase } from '../../src/database/wait-for-database';
import { freePort } from '../support/free-port';
import { serverUrl, withDatabase } from '../support/test-database';

const LOCAL_TRUST_URL = 'postgres://postgres@127.0.0.1:5432/test';
const DEADLINE_MS = 30_000; // far longer than any of the fail-fast cases may take

async function localServerAnswers(): Promise<boolean> {
  const client = new Client({ connectionString: LOCAL_TRUST_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** waitForDatabase against `url`: how it ended, how long it took, and what it logged. */
async function startAgainst(url: string, deadlineMs = DEADLINE_MS): Promise<{ error?: Error; elapsedMs: number; logged: string[] }> {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, LOG_LEVEL: 'silent', DATABASE_ACQUIRE_TIMEOUT_MS: '2000' });
  const orm = await MikroORM.init(ormOptions(config, url));
  const logged: string[] = [];
  const startedAt = Date.now();
  try {
    await waitForDatabase(orm, deadlineMs, (message) => logged.push(message));
    return { elapsedMs: Date.now() - startedAt, logged };
  } catch (error) {
    return { error: error as Error, elapsedMs: Date.now() - startedAt, logged };
  } finally {
    await orm.close(true);
  }
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

describe('start-up against a database that refuses: one clear error at once', () => {
  let local = false;
  let passwordServer = false;
  const previousPgPassword = process.env.PGPASSWORD;

  beforeAll(async () => {
    delete process.env.PGPASSWORD; // pg would use it for a URL without a password
    local = await localServerAnswers();
    passwordServer = new URL(serverUrl()).password !== '';
  });
  afterAll(() => {
    if (previousPgPassword !== undefined) process.env.PGPASSWORD = previousPgPassword;
  });

  async function expectRefusedAtOnce(url: string, message: RegExp): Promise<void> {
    const { error, elapsedMs, logged } = await startAgainst(url);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error!.message).toMatch(/^Cannot connect to the database: /);
    expect(error!.message).toMatch(message);
    expect(error!.message).not.toContain('\n');
    expect(elapsedMs).toBeLessThan(2000);
    expect(logged).toEqual([]); // no "Waiting for the database": it did not wait
  }

  it('a wrong password (28P01)', async () => {
    if (!passwordServer) return;
    const url = withPassword(serverUrl(), 'not-the-password');
    await expectRefusedAtOnce(url, /refused the login \(wrong password\)/);
    expect((await startAgainst(url)).error!.message).not.toContain('not-the-password');
  });

  it('no password in the URL for a server that asks for one (SASL)', async () => {
    if (!passwordServer) return;
    await expectRefusedAtOnce(withPassword(serverUrl(), ''), /asks for a password and the database URL gives none/);
  });

  it('an unknown database (3D000)', async () => {
    await expectRefusedAtOnce(withDatabase(serverUrl(), 'no_such_database_here'), /database does not exist/);
  });

  it('TLS required (sslmode=require) by a server without TLS', async () => {
    if (!local) return;
    const psql = new Client({ connectionString: `${LOCAL_TRUST_URL}?sslmode=disable` });
    await psql.connect();
    const { rows } = await psql.query<{ ssl: string }>('show ssl');
    await psql.end();
    if (rows[0].ssl === 'on') return; // this server has TLS: nothing to refuse
    await expectRefusedAtOnce(`${LOCAL_TRUST_URL}?sslmode=require`, /does not support TLS/);
  });

  it('a URL without a password on a server with trust authentication connects', async () => {
    if (!local) return;
    const { error, logged } = await startAgainst(LOCAL_TRUST_URL);
    expect(error).toBeUndefined();
    expect(logged).toEqual([]);
  });

  it('a closed port is retried until the deadline, and then named', async () => {
    const { error, elapsedMs, logged } = await startAgainst(`postgres://app:secret@127.0.0.1:${await freePort()}/app`, 1500);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error!.message).toMatch(/did not answer within 2 s \(DATABASE_STARTUP_TIMEOUT_MS\).*ECONNREFUSED/);
    expect(elapsedMs).toBeGreaterThanOrEqual(1400);
    expect(logged).toEqual([expect.stringMatching(/^Waiting for the database/)]);
  });
});
