import { createWriteStream, existsSync, promises as fs, type WriteStream } from 'node:fs';
import path from 'node:path';
import { ServerProcess } from '../../support/built-server';
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
 * The service as a separate process, as in production: NODE_ENV=production, logs collected (and copied to
 * logFile), stopped by PID. Spawned in its own process group so that a teardown can kill what npm started too.
 */
export class ServiceProcess {
  readonly logFile: string;
  readonly exited: Promise<ExitInfo>;

  private constructor(
    readonly options: ServiceOptions,
    readonly port: number,
    readonly startedAt: number,
    private readonly server: ServerProcess,
    private readonly log: WriteStream,
  ) {
    this.logFile = log.path as string;
    this.exited = server.exited.then((exit) => {
      log.write(`\n[faults] process exited code=${exit.code} signal=${exit.signal}\n`);
      return { ...exit, at: server.exitedAt! };
    });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.server.pid;
  }

  get stdout(): string {
    return this.server.stdout;
  }

  get stderr(): string {
    return this.server.stderr;
  }

  get exit(): ExitInfo | undefined {
    return this.server.exit && { ...this.server.exit, at: this.server.exitedAt! };
  }

  static async spawn(options: ServiceOptions): Promise<ServiceProcess> {
    if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run npm run build first`);
    const port = options.port ?? (await freePort());
    await fs.mkdir(LOG_DIR, { recursive: true });
    const log = createWriteStream(path.join(LOG_DIR, `${options.name}-${Date.now()}.log`));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      JWT_SECRET,
      LOG_LEVEL: 'info',
      MIGRATE_ON_START: 'true',
      METRICS_PORT: '0', // several services run at once: no two on the default metrics port
      REGISTER_IP_MAX: '100000', // the scenarios register many users from one address
      ...options.env,
    };
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
    const spawnOptions = { detached: true, onOutput: (chunk: string) => log.write(chunk) };
    const startedAt = Date.now();
    const child = options.via === 'npm' ? ServerProcess.npm('start:prod', env, spawnOptions) : ServerProcess.node(env, MAIN_JS, spawnOptions);
    return new ServiceProcess(options, port, startedAt, child, log);
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
    return this.server.exit === undefined;
  }

  /** Resolves with Date.now() at the first 200 of /health/ready. */
  waitReady(timeoutMs = 60_000): Promise<number> {
    // short probes: a database fault can hang one, and the deadline is what the fault specs time
    return this.server.waitForReady(this.baseUrl, timeoutMs, 2000);
  }

  signal(signal: NodeJS.Signals): void {
    this.server.signal(signal);
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
    this.log.end();
    return info;
  }

  async kill(): Promise<ExitInfo> {
    if (this.running) this.signal('SIGKILL');
    this.killGroup();
    const info = await this.exited;
    this.log.end();
    return info;
  }

  /** Whatever this service started in its own process group (npm's child node) is ended too. */
  private killGroup(): void {
    if (isGroupAlive(this.pid)) {
      try {
        process.kill(-this.pid, 'SIGKILL');
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
