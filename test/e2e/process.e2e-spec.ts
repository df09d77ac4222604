/**
 * The built server (dist/, rebuilt here when older than the sources) as a separate process: restarts, the
 * embedded default database, signals, configuration errors, an unreachable database, and `npm run start:prod`
 * under a process manager.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  childrenOf,
  cleanEnv,
  ensureBuilt,
  freePort,
  httpJson,
  isAlive,
  JWT_SECRET,
  postmasterPid,
  privateBuild,
  processesMentioning,
  register,
  removePrivateBuild,
  ServerProcess,
} from '../support/built-server';
import { createMigratedDatabase, dropDatabase, serverUrl, withDatabase } from '../support/test-database';
import { uniqueEmail } from '../support/test-app';

const START_MS = 90_000; // a loaded machine with an initdb to run
const PASSWORD = 'correct horse battery staple';

const nonEmptyLines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

describe('the server process', () => {
  const processes: ServerProcess[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];
  /** `node <build>/src/main.js`: a private copy of dist/ (see privateBuild), which others may rebuild meanwhile */
  let mainJs: string;

  function start(env: NodeJS.ProcessEnv, via: 'node' | 'npm' = 'node'): ServerProcess {
    const server = via === 'node' ? ServerProcess.node(env, mainJs) : ServerProcess.npm('start:prod', env);
    processes.push(server);
    return server;
  }

  beforeAll(async () => {
    mainJs = await privateBuild();
    cleanups.push(() => removePrivateBuild(mainJs));
  }, 300_000);

  afterEach(async () => {
    for (const server of processes.splice(0)) await server.kill();
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** The production environment on a fresh migrated database of this file's own. */
  async function productionEnv(extra: Record<string, string> = {}): Promise<{ env: NodeJS.ProcessEnv; baseUrl: string }> {
    const url = await createMigratedDatabase();
    cleanups.push(() => dropDatabase(url));
    const port = await freePort();
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      env: cleanEnv({ NODE_ENV: 'production', DATABASE_URL: url, JWT_SECRET, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...extra }),
    };
  }

  /** A temporary folder for an embedded database; `reachable`: mode 755, so that `postgres` may enter it as root. */
  function embeddedDir(reachable: boolean): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'task-service-process-'));
    if (reachable) chmodSync(dir, 0o755);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /** Stops a PostgreSQL a failed test may have left on `dataDir` (only the one whose pid that folder names). */
  function cleanUpDataDir(dataDir: () => string | undefined): void {
    cleanups.push(() => {
      const dir = dataDir();
      if (!dir) return;
      const pid = postmasterPid(dir);
      if (pid && isAlive(pid)) process.kill(pid, 'SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}.password`, { force: true });
      rmSync(`${dir}.app-password`, { force: true });
      rmSync(`${dir}.owner`, { force: true });
    });
  }

  async function login(baseUrl: string, email: string): Promise<string> {
    const res = await httpJson('POST', `${baseUrl}/auth/login`, { email, password: PASSWORD });
    expect(res.status).toBe(200);
    return res.body.accessToken as string;
  }

  async function expectGoneWithin(pid: number, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(isAlive(pid)).toBe(false);
  }

  it('keeps the data across a SIGKILL and a restart (DATABASE_URL)', async () => {
    const { env, baseUrl } = await productionEnv();
    const first = start(env);
    await first.waitForReady(baseUrl, START_MS);
    const email = uniqueEmail('restart');
    const { token } = await register(baseUrl, email, PASSWORD);
    const created = await httpJson('POST', `${baseUrl}/tasks`, { title: 'survive a crash', description: 'written before SIGKILL' }, { authorization: `Bearer ${token}` });
    expect(created.status).toBe(201);

    first.signal('SIGKILL');
    await expect(first.waitForExit(10_000)).resolves.toEqual({ code: null, signal: 'SIGKILL' });

    const second = start(env);
    await second.waitForReady(baseUrl, START_MS);
    const auth = { authorization: `Bearer ${await login(baseUrl, email)}` };
    const read = await httpJson('GET', `${baseUrl}/tasks/${created.body.id}`, undefined, auth);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: created.body.id, title: 'survive a crash', description: 'written before SIGKILL', completed: false });
    const list = await httpJson('GET', `${baseUrl}/tasks`, undefined, auth);
    expect(list.body.items.map((task: { id: string }) => task.id)).toEqual([created.body.id]);
  }, 240_000);

  describe('with no DATABASE_URL: the embedded PostgreSQL', () => {
    it('prints where the data lives and the URLs, serves, stops PostgreSQL on SIGTERM, and reuses the data next time', async () => {
      const dataDir = path.join(embeddedDir(true), 'pg');
      cleanUpDataDir(() => dataDir);
      const port = await freePort();
      const env = cleanEnv({ EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), PORT: String(port), LOG_LEVEL: 'warn' });
      const baseUrl = `http://127.0.0.1:${port}`;

      const first = start(env);
      const [, apiUrl, docsUrl] = await first.waitForOutput(/Task service listening on (\S+) \(API docs: (\S+)\)/, START_MS);
      expect(first.stdout).toContain(`Embedded PostgreSQL data: ${dataDir}\n`);
      expect(apiUrl).toBe(`http://localhost:${port}`);
      expect(docsUrl).toBe(`http://localhost:${port}/docs`);
      await first.waitForReady(baseUrl, START_MS);
      expect((await httpJson('GET', `${baseUrl}/docs`)).status).toBe(200);
      const email = uniqueEmail('embedded');
      const { token } = await register(baseUrl, email, PASSWORD);
      // no JWT_SECRET: one is made once and kept beside the data folder, readable by its owner only
      const secretFile = path.join(path.dirname(dataDir), 'jwt-secret');
      expect(first.stdout).toMatch(/^JWT_SECRET is not set: .*created in .*jwt-secret/m);
      expect(statSync(secretFile).mode & 0o777).toBe(0o600);
      const postgres = postmasterPid(dataDir);
      expect(postgres && isAlive(postgres)).toBe(true);
      expect(processesMentioning(dataDir)).toEqual([postgres]); // what "nothing left" below looks for

      const signalledAt = Date.now();
      first.signal('SIGTERM');
      await expect(first.waitForExit(10_000)).resolves.toEqual({ code: 0, signal: null });
      expect(Date.now() - signalledAt).toBeLessThan(10_000);
      expect(isAlive(postgres!)).toBe(false);
      expect(processesMentioning(dataDir)).toEqual([]);
      expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
      expect(nonEmptyLines(first.stdout).at(-1)).toBe('Task service stopped');

      const second = start(env);
      await second.waitForReady(baseUrl, START_MS);
      expect(second.stdout).toContain(`Embedded PostgreSQL data: ${dataDir}\n`);
      expect(second.stdout).toMatch(/^JWT_SECRET is not set: .*kept in .*jwt-secret/m);
      await login(baseUrl, email); // the user of the first run: the same data
      // and the first run's token still works: the development secret survived the restart
      expect((await httpJson('GET', `${baseUrl}/users/me`, undefined, { authorization: `Bearer ${token}` })).status).toBe(200);
      second.signal('SIGTERM');
      await expect(second.waitForExit(10_000)).resolves.toEqual({ code: 0, signal: null });
      expect(processesMentioning(dataDir)).toEqual([]);
    }, 300_000);

    it('after a SIGKILL PostgreSQL is left running; the next start stops it, starts its own and serves', async () => {
      // mode 700: as root, the postgres user cannot enter it, and the data is kept elsewhere (printed)
      const wanted = path.join(embeddedDir(false), 'pg');
      const found: { dataDir?: string } = {};
      cleanUpDataDir(() => found.dataDir);
      const port = await freePort();
      const env = cleanEnv({ EMBEDDED_PG_DIR: wanted, EMBEDDED_PG_PORT: String(await freePort()), PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
      const baseUrl = `http://127.0.0.1:${port}`;

      const first = start(env);
      const dataDir = (found.dataDir = (await first.waitForOutput(/Embedded PostgreSQL data: (.+)\n/, START_MS))[1]);
      if (process.getuid?.() === 0) {
        expect(first.stdout).toContain(`The postgres user cannot reach ${wanted}; keeping the embedded database in ${dataDir} instead`);
        expect(dataDir).not.toBe(wanted);
      } else {
        expect(dataDir).toBe(wanted);
      }
      await first.waitForReady(baseUrl, START_MS);
      const email = uniqueEmail('crash');
      await register(baseUrl, email, PASSWORD);
      const orphan = postmasterPid(dataDir)!;
      expect(isAlive(orphan)).toBe(true);

      first.signal('SIGKILL');
      await first.waitForExit(10_000);
      expect(isAlive(orphan)).toBe(true); // nobody stopped it

      const second = start(env);
      await second.waitForOutput(/Stopping an embedded PostgreSQL left running in /, START_MS);
      await second.waitForReady(baseUrl, START_MS);
      await expectGoneWithin(orphan, 5000);
      const current = postmasterPid(dataDir);
      expect(current && current !== orphan && isAlive(current)).toBe(true);
      await login(baseUrl, email);

      second.signal('SIGTERM');
      await expect(second.waitForExit(10_000)).resolves.toEqual({ code: 0, signal: null });
      expect(processesMentioning(dataDir)).toEqual([]);
    }, 300_000);

    it('belongs to the service that started it: a migration command uses it and leaves it running, a second start is refused in one line', async () => {
      const dataDir = path.join(embeddedDir(true), 'pg');
      cleanUpDataDir(() => dataDir);
      const port = await freePort();
      const pgPort = await freePort();
      const env = cleanEnv({ EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
      env.PATH = `${path.dirname(process.execPath)}:${env.PATH}`; // npm's scripts run on this Node
      const baseUrl = `http://127.0.0.1:${port}`;
      const service = start(env);
      await service.waitForReady(baseUrl, START_MS);
      const postgres = postmasterPid(dataDir)!;
      const stillServing = async () => {
        expect(postmasterPid(dataDir)).toBe(postgres);
        expect(isAlive(postgres)).toBe(true);
        expect((await httpJson('GET', `${baseUrl}/health/ready`)).status).toBe(200);
      };

      const migration = ServerProcess.npm('migration:check', env);
      processes.push(migration);
      await expect(migration.waitForExit(120_000)).resolves.toEqual({ code: 0, signal: null });
      expect(migration.stderr).toContain(`Using the embedded PostgreSQL in ${dataDir} (port ${pgPort}) of process ${service.pid}; it stays running`);
      expect(migration.stdout).toContain('No changes required, schema is up-to-date');
      await stillServing();

      // a second `npm start`: the same PORT is taken, which it says before it touches the database
      const samePort = start(env);
      await expect(samePort.waitForExit(20_000)).resolves.toEqual({ code: 1, signal: null });
      expect(nonEmptyLines(samePort.stderr)).toEqual([
        `Port ${port} on 127.0.0.1 is already in use (is the service already running?): stop that process, or set PORT to a free port`,
      ]);
      expect(nonEmptyLines(samePort.stdout)).toEqual([]);
      await stillServing();

      // another PORT, the same data folder: the cluster is not its to take
      const otherPort = start({ ...env, PORT: String(await freePort()) });
      await expect(otherPort.waitForExit(20_000)).resolves.toEqual({ code: 1, signal: null });
      expect(nonEmptyLines(otherPort.stderr)).toEqual([expect.stringMatching(new RegExp(`^The embedded PostgreSQL in ${dataDir} is in use by process ${service.pid} `))]);
      await stillServing();

      service.signal('SIGTERM');
      await expect(service.waitForExit(10_000)).resolves.toEqual({ code: 0, signal: null });
      expect(processesMentioning(dataDir)).toEqual([]);
      expect(existsSync(`${dataDir}.owner`)).toBe(false);
    }, 300_000);
  });

  describe('a bad configuration stops the process at once with one line naming the variable', () => {
    const url = 'postgres://app:secret@127.0.0.1:5432/app';
    it.each([
      ['DATABASE_URL', { NODE_ENV: 'production', JWT_SECRET }],
      ['JWT_SECRET', { NODE_ENV: 'production', DATABASE_URL: url, JWT_SECRET: 's'.repeat(31) }],
      ['PORT', { PORT: 'abc', DATABASE_URL: url }],
    ])('%s', async (name, env) => {
      const server = start(cleanEnv(env));
      await expect(server.waitForExit(20_000)).resolves.toEqual({ code: 1, signal: null });
      const lines = nonEmptyLines(server.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`"${name}"`);
      expect(server.stderr).not.toContain('s'.repeat(31)); // the secret itself is never printed
      expect(server.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }, 30_000);
  });

  it('against a closed port: retries until DATABASE_STARTUP_TIMEOUT_MS, then exits non-zero with one clear line', async () => {
    const closed = await freePort();
    const port = await freePort();
    const env = cleanEnv({
      NODE_ENV: 'production',
      DATABASE_URL: `postgres://app:do-not-print-me@127.0.0.1:${closed}/app`,
      JWT_SECRET,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_STARTUP_TIMEOUT_MS: '3000',
    });
    const startedAt = Date.now();
    const server = start(env);
    await server.waitForOutput(/Waiting for the database/, 15_000); // it retries, and says so while it does
    const firstFailureSeenAt = Date.now();
    const exit = await server.waitForExit(20_000);
    const exitedAt = Date.now();

    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    // it kept trying until the 3 s deadline (the first failed attempt starts it), and gave up soon after it
    expect(exitedAt - firstFailureSeenAt).toBeGreaterThanOrEqual(2500);
    expect(exitedAt - firstFailureSeenAt).toBeLessThan(6000);
    expect(exitedAt - startedAt).toBeLessThan(15_000); // node and Nest start-up included, on a loaded machine
    const lines = nonEmptyLines(server.stderr);
    expect(lines).toEqual([expect.stringMatching(/did not answer within 3 s \(DATABASE_STARTUP_TIMEOUT_MS\).*ECONNREFUSED/)]);
    expect(server.stdout + server.stderr).not.toContain('do-not-print-me');
    // never listened
    await expect(httpJson('GET', `http://127.0.0.1:${port}/health/live`)).rejects.toThrow(/ECONNREFUSED/);
  }, 60_000);

  describe('a database that answers and refuses: exit 1 at once with one clear line, however long DATABASE_STARTUP_TIMEOUT_MS is', () => {
    const withPassword = (url: string, password: string) => Object.assign(new URL(url), { password }).toString();
    it.each([
      ['no password in the URL for a server that asks for one', () => withPassword(serverUrl(), ''), /asks for a password and the database URL gives none/],
      ['a wrong password', () => withPassword(serverUrl(), 'do-not-print-me'), /refused the login \(wrong password\)/],
      ['an unknown database', () => withDatabase(serverUrl(), 'no_such_database_here'), /database does not exist/],
    ])('%s', async (name, url, message) => {
      // a server with trust authentication (TEST_DATABASE_URL without a password) accepts any password: the
      // password cases need one that asks for it, as the embedded database of the README's `npm test` does
      if (name.includes('password') && new URL(serverUrl()).password === '') return;
      const env = cleanEnv({
        NODE_ENV: 'production',
        DATABASE_URL: url(),
        JWT_SECRET,
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        DATABASE_STARTUP_TIMEOUT_MS: '60000',
      });
      const startedAt = Date.now();
      const server = start(env);
      await expect(server.waitForExit(20_000)).resolves.toEqual({ code: 1, signal: null });
      // node and Nest start-up included: the refusal itself takes milliseconds, not the 60 s deadline
      expect(Date.now() - startedAt).toBeLessThan(15_000);
      const lines = nonEmptyLines(server.stderr);
      expect(lines).toEqual([expect.stringMatching(message)]);
      expect(lines[0]).toMatch(/^Cannot connect to the database: /);
      expect(server.stdout + server.stderr).not.toMatch(/Waiting for the database|do-not-print-me/);
    }, 30_000);
  });

  it('SIGTERM while it still waits for the database: a graceful exit 0 at once, not death by the signal', async () => {
    const closed = await freePort();
    const env = cleanEnv({
      NODE_ENV: 'production',
      DATABASE_URL: `postgres://app:secret@127.0.0.1:${closed}/app`,
      JWT_SECRET,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATABASE_STARTUP_TIMEOUT_MS: '60000',
    });
    const server = start(env);
    await server.waitForOutput(/Waiting for the database/, 15_000);
    server.signal('SIGTERM');
    await expect(server.waitForExit(5000)).resolves.toEqual({ code: 0, signal: null });
    expect(server.stdout).toContain('SIGTERM received');
  }, 60_000);

  it('`npm run start:prod` under a process manager: SIGTERM to npm alone reaches node, and npm exits with its code 0', async () => {
    const { env, baseUrl } = await productionEnv({ LOG_LEVEL: 'info' });
    env.PATH = `${path.dirname(process.execPath)}:${env.PATH}`;
    await ensureBuilt(); // this one runs dist/ itself, as `npm run start:prod` does
    const npm = start(env, 'npm');
    await npm.waitForReady(baseUrl, START_MS);
    // what the start printed, up to the first request's log line: the data and the URLs come last, and Nest's
    // route mapping and module chatter is not at info
    const firstRequest = npm.stdout.indexOf('"request completed"');
    const beforeRequests = firstRequest === -1 ? npm.stdout : npm.stdout.slice(0, npm.stdout.lastIndexOf('\n', firstRequest) + 1);
    const startLines = nonEmptyLines(beforeRequests);
    // the database URL without its password (a trust-auth server's URL has none to hide)
    const password = new URL(env.DATABASE_URL!).password;
    expect(startLines.slice(-2)).toEqual([
      expect.stringMatching(password ? /^Database: postgres:\/\/.*\*\*\*\*\*@127\.0\.0\.1/ : /^Database: postgres:\/\/[^:@]*@127\.0\.0\.1/),
      `Task service listening on ${baseUrl} (API docs: ${baseUrl}/docs)`,
    ]);
    expect(npm.stdout).toContain('Nest application successfully started');
    expect(npm.stdout).not.toMatch(/Mapped \{|dependencies initialized/);
    // with `exec`, npm's shell has become node: npm's own child is the server
    const server = childrenOf(npm.pid).find((pid) => processesMentioning('dist/src/main.js').includes(pid));
    expect(server).toBeDefined();

    npm.signal('SIGTERM');
    await expect(npm.waitForExit(15_000)).resolves.toEqual({ code: 0, signal: null });
    expect(npm.stdout).toContain('SIGTERM received'); // node's own graceful shutdown ran
    expect(nonEmptyLines(npm.stdout).at(-1)).toBe('Task service stopped');
    await expectGoneWithin(server!, 5000);
  }, 240_000);
});
