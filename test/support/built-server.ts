/**
 * The built service (dist/) as a separate process, as it runs in production: for every test that starts it
 * (the process e2e specs, and the browser, Redis, fleet and fault suites).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { request, type HttpResult } from './http-client';
import { serviceNode } from './service-node';
import { createMigratedDatabase, dropDatabase } from './test-database';
import { sleep } from './wait';
export { freePort } from './free-port';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const MAIN_JS = path.join(REPO_ROOT, 'dist', 'src', 'main.js');
export const JWT_SECRET = 'built-server-test-jwt-secret-0123456789abcdef';

const run = promisify(execFile);

/** What the build reads: when any of it is newer than dist/src/main.js, the build is stale. */
function newestSourceMtime(): number {
  let newest = 0;
  const visit = (file: string) => {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const entry of readdirSync(file)) visit(path.join(file, entry));
    } else if (/\.(ts|json)$/.test(file) && !file.endsWith('.spec.ts')) {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const entry of ['src', 'migrations', 'mikro-orm.config.ts', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json']) {
    visit(path.join(REPO_ROOT, entry));
  }
  return newest;
}

function isBuildCurrent(): boolean {
  const built = statSync(MAIN_JS, { throwIfNoEntry: false });
  return !!built && built.mtimeMs >= newestSourceMtime();
}

/**
 * Runs `npm run build` when dist/src/main.js is missing or older than the sources. A lock folder keeps two
 * test files (or two test runs) from building at once; a lock older than 5 minutes is taken as abandoned.
 */
export async function ensureBuilt(): Promise<void> {
  if (isBuildCurrent()) return;
  const lock = path.join(REPO_ROOT, 'test', '.tmp', 'build.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 5 * 60_000) rmSync(lock, { recursive: true, force: true });
      else await sleep(500);
    }
  }
  try {
    if (!isBuildCurrent()) await run('npm', ['run', 'build'], { cwd: REPO_ROOT, env: process.env, timeout: 5 * 60_000 });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  if (!existsSync(MAIN_JS)) throw new Error(`npm run build did not produce ${MAIN_JS}`);
}

/**
 * A private copy of the current build (test/.tmp/dist-*), so that someone rebuilding dist/ meanwhile (`nest build`
 * empties it first) cannot pull the server from under a running test. Returns the path of its main.js;
 * remove the copy with removePrivateBuild(). It resolves node_modules and its compiled migrations as dist/ does.
 */
export async function privateBuild(): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    await ensureBuilt();
    const before = statSync(MAIN_JS, { throwIfNoEntry: false })?.mtimeMs;
    const copy = path.join(REPO_ROOT, 'test', '.tmp', `dist-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      cpSync(path.join(REPO_ROOT, 'dist'), copy, { recursive: true });
      const unchanged = before !== undefined && statSync(MAIN_JS, { throwIfNoEntry: false })?.mtimeMs === before;
      if (unchanged && existsSync(path.join(copy, 'src', 'main.js'))) return path.join(copy, 'src', 'main.js');
    } catch {
      // dist/ changed while it was copied: build and copy again
    }
    rmSync(copy, { recursive: true, force: true });
  }
  throw new Error('dist/ kept changing while it was being copied');
}

export function removePrivateBuild(mainJs: string | undefined): void {
  if (mainJs && mainJs !== MAIN_JS) rmSync(path.resolve(mainJs, '..', '..'), { recursive: true, force: true });
}


/** A clean environment: nothing of the test runner's (NODE_ENV=test, TEST_DATABASE_URL, ...) leaks in. */
export function cleanEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  // METRICS_PORT=0: test files run servers at once, and no two may take the default metrics port;
  // no drain delay unless a test asks for one (drain.e2e-spec does): a stop is then as quick as before it
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', METRICS_PORT: '0', SHUTDOWN_DRAIN_DELAY_MS: '0' };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete base[key];
    else base[key] = value;
  }
  return base;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** in a process group of its own, so that what npm starts can be ended with it */
  detached?: boolean;
  /** sees the output (stdout and stderr) as it comes, e.g. to copy it to a log file */
  onOutput?: (chunk: string) => void;
}

/** A spawned process with its output collected. */
export class ServerProcess {
  stdout = '';
  stderr = '';
  exit?: Exit;
  /** Date.now() at the exit */
  exitedAt?: number;
  readonly exited: Promise<Exit>;
  readonly child: ChildProcess;

  private constructor(command: string, args: string[], env: NodeJS.ProcessEnv, options: SpawnOptions = {}) {
    this.child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      options.onOutput?.(chunk);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      options.onOutput?.(chunk);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitedAt = Date.now();
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  /** `node dist/src/main.js` (or the given build, see privateBuild) with exactly `env` (see cleanEnv). */
  static node(env: NodeJS.ProcessEnv, mainJs = MAIN_JS, options?: SpawnOptions): ServerProcess {
    return new ServerProcess(serviceNode(), [mainJs], env, options);
  }

  /** `npm run <script>`, as a process manager would start it. */
  static npm(script: string, env: NodeJS.ProcessEnv, options?: SpawnOptions): ServerProcess {
    return new ServerProcess('npm', ['run', script], env, options);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get output(): string {
    return `--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exit) this.child.kill(signal);
  }

  /** Resolves with the exit, or rejects after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms\n${this.output}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits until the output (stdout and stderr) matches; fails early if the process exits. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = (this.stdout + this.stderr).match(pattern);
      if (match) return match;
      if (this.exit) throw new Error(`exited (${JSON.stringify(this.exit)}) before printing ${pattern}\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms\n${this.output}`);
      await sleep(100);
    }
  }

  /** Waits until GET /health/ready answers 200; resolves with Date.now() at that answer. */
  async waitForReady(baseUrl: string, timeoutMs: number, probeTimeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exit) throw new Error(`exited (${JSON.stringify(this.exit)}) before it was ready\n${this.output}`);
      const res = await request(baseUrl, 'GET', '/health/ready', { timeoutMs: probeTimeoutMs });
      if (res.status === 200) return Date.now();
      if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms (last: ${res.status || res.error})\n${this.output}`);
      await sleep(200);
    }
  }

  /** For afterEach/afterAll: whatever happened, leave nothing running. */
  async kill(): Promise<void> {
    if (this.exit) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export type JsonResponse = HttpResult;

/** One JSON request on a fresh connection (no keep-alive agent to hold the process open); no answer rejects. */
export async function httpJson(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
  const res = await request(url, method, url, { body, headers, timeoutMs: 10_000 });
  if (res.status === 0) throw new Error(`${method} ${url}: ${res.error}`);
  return res;
}

/** Whether `pid` is a live process (a zombie, exited but not reaped, counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Live processes whose command line mentions `text` (e.g. a PostgreSQL data folder: `postgres -D <dir>`). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.split('\0').includes(text) && isAlive(Number(entry))) pids.push(Number(entry));
  }
  return pids;
}

/** Live direct children of `pid`. */
export function childrenOf(pid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && isAlive(Number(entry))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The postmaster's pid from <dataDir>/postmaster.pid, if that file exists. */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

/** Registers a user on a running server: { token, user }. */
export async function register(baseUrl: string, email: string, password: string): Promise<{ token: string; user: { id: string; email: string } }> {
  const res = await httpJson('POST', `${baseUrl}/auth/register`, { email, password });
  if (res.status !== 201) throw new Error(`register answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { token: res.body.accessToken, user: res.body.user };
}

export interface BuiltServerFixture {
  /** the block's private build (see privateBuild) and migrated database, once its beforeAll has run */
  mainJs: string;
  url: string;
  /** `node <mainJs>` with exactly `env` (see cleanEnv); killed after the test */
  start(env: NodeJS.ProcessEnv): ServerProcess;
}

/** For a describe block: the built server on a migrated database of its own; what a test starts ends with it. */
export function useBuiltServer(): BuiltServerFixture {
  const processes: ServerProcess[] = [];
  const fixture: BuiltServerFixture = {
    mainJs: '',
    url: '',
    start(env) {
      const server = ServerProcess.node(env, fixture.mainJs);
      processes.push(server);
      return server;
    },
  };
  beforeAll(async () => {
    [fixture.mainJs, fixture.url] = await Promise.all([privateBuild(), createMigratedDatabase()]);
  }, 300_000);
  afterEach(async () => {
    for (const server of processes.splice(0)) await server.kill();
  });
  afterAll(async () => {
    removePrivateBuild(fixture.mainJs);
    if (fixture.url) await dropDatabase(fixture.url);
  });
  return fixture;
}
