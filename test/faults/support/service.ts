import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, promises as fs, type WriteStream } from 'node:fs';
import path from 'node:path';
import { request } from './http';
import { freePort, isAlive, REPO_ROOT, sleep } from './util';

/** The built service; FAULTS_MAIN_JS points elsewhere (a private build) while dist/ is being rebuilt. */
export const MAIN_JS = process.env.FAULTS_MAIN_JS ? path.resolve(process.env.FAULTS_MAIN_JS) : path.join(REPO_ROOT, 'dist', 'src', 'main.js');
export const LOG_DIR = path.join(REPO_ROOT, 'test', '.tmp', 'faults');
export const JWT_SECRET = 'faults-suite-jwt-secret-0123456789abcdef-0123456789';

export interface ServiceOptions {
  /** a label for its log file */
  name: string;
  env?: Record<string, string | undefined>;
  /** 'node': `node dist/src/main.js`; 'npm': `npm run start:prod`, as a process manager would run it */
  via?: 'node' | 'npm';
  port?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/**
 * The service as a separate process, as in production: NODE_ENV=production, logs collected, stopped by PID.
 * Spawned in its own process group so that a teardown can kill what npm started too (by that group's id).
 */
export class ServiceProcess {
  port = 0;
  stdout = '';
  stderr = '';
  startedAt = 0;
  exit?: ExitInfo;
  readonly exited: Promise<ExitInfo>;
  private child!: ChildProcess;
  private resolveExit!: (info: ExitInfo) => void;
  private log?: WriteStream;
  readonly logFile: string;

  private constructor(readonly options: ServiceOptions) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    this.logFile = path.join(LOG_DIR, `${options.name}-${Date.now()}.log`);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async spawn(options: ServiceOptions): Promise<ServiceProcess> {
    if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run npm run build first`);
    const service = new ServiceProcess(options);
    service.port = options.port ?? (await freePort());
    await fs.mkdir(LOG_DIR, { recursive: true });
    service.log = createWriteStream(service.logFile);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(service.port),
      JWT_SECRET,
      LOG_LEVEL: 'info',
      MIGRATE_ON_START: 'true',
      METRICS_PORT: '0', // several services run at once: no two on the default metrics port
      ...options.env,
    };
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
    const [cmd, args] = options.via === 'npm' ? ['npm', ['run', 'start:prod']] : [process.execPath, [MAIN_JS]];
    service.startedAt = Date.now();
    service.child = spawn(cmd, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    service.child.stdout!.on('data', (d: Buffer) => {
      service.stdout += d;
      service.log?.write(d);
    });
    service.child.stderr!.on('data', (d: Buffer) => {
      service.stderr += d;
      service.log?.write(d);
    });
    service.child.on('exit', (code, signal) => {
      service.exit = { code, signal, at: Date.now() };
      service.log?.write(`\n[faults] process exited code=${code} signal=${signal}\n`);
      service.resolveExit(service.exit);
    });
    return service;
  }

  /** Starts the service and waits for /health/ready to be 200. */
  static async start(options: ServiceOptions, readyTimeoutMs = 60_000): Promise<ServiceProcess> {
    const service = await ServiceProcess.spawn(options);
    try {
      await service.waitReady(readyTimeoutMs);
    } catch (error) {
      await service.kill();
      throw error;
    }
    return service;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  async waitReady(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exit) throw new Error(`service exited (code ${this.exit.code}, signal ${this.exit.signal}) before it was ready:\n${this.tail()}`);
      const res = await request(this.baseUrl, 'GET', '/health/ready', { timeoutMs: 2000 });
      if (res.status === 200) return Date.now();
      if (Date.now() > deadline) throw new Error(`service not ready after ${timeoutMs} ms (last: ${res.status || res.error}):\n${this.tail()}`);
      await sleep(200);
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, signal);
  }

  /** Resolves with the exit, or undefined if it did not exit within timeoutMs. */
  async waitExit(timeoutMs: number): Promise<ExitInfo | undefined> {
    return Promise.race([this.exited, sleep(timeoutMs).then(() => undefined)]);
  }

  /** SIGTERM, then SIGKILL to its process group after graceMs. */
  async stop(graceMs = 10_000): Promise<ExitInfo> {
    if (this.running) {
      this.signal('SIGTERM');
      if (!(await this.waitExit(graceMs))) await this.kill();
    }
    this.killGroup();
    const info = await this.exited;
    this.log?.end();
    return info;
  }

  async kill(): Promise<ExitInfo> {
    if (this.running) this.signal('SIGKILL');
    this.killGroup();
    const info = await this.exited;
    this.log?.end();
    return info;
  }

  /** Whatever this service started in its own process group (npm's child node) is ended too. */
  private killGroup(): void {
    if (this.child?.pid && isGroupAlive(this.child.pid)) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  /** Resident memory of the process (kB) from /proc. */
  async rssKb(pid = this.pid): Promise<number> {
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  }

  /** Process ids of the node process (for `npm run`, npm's child). */
  async nodePid(): Promise<number> {
    if (this.options.via !== 'npm') return this.pid;
    const children = await fs.readFile(`/proc/${this.pid}/task/${this.pid}/children`, 'utf8').catch(() => '');
    const direct = children.trim().split(/\s+/).filter(Boolean).map(Number);
    // npm -> (sh -c exec) node: `exec` makes the shell become node
    for (const pid of direct) {
      const cmd = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmd.includes('main.js')) return pid;
    }
    throw new Error(`no node child of npm (${this.pid}) found: ${direct.join(',')}`);
  }

  tail(lines = 40): string {
    const all = `${this.stdout}\n--- stderr ---\n${this.stderr}`.split('\n');
    return all.slice(-lines).join('\n');
  }

  stderrLines(): string[] {
    return this.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  }
}

function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export { isAlive };
