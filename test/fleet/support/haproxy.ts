import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { sleep } from '../../support/wait';

export const HAPROXY_BIN = process.env.FLEET_HAPROXY_BIN ?? (existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy');
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const EXAMPLE_CONFIG = path.join(REPO_ROOT, 'deploy', 'haproxy.cfg');

export interface Backend {
  name: string;
  port: number;
}

/**
 * deploy/haproxy.cfg as shipped, with what must differ on a test machine rewritten: the frontend's bind, the
 * server lines (free ports), the stats socket and pid file (a temp folder), logs off; plus a response header
 * naming the instance that answered (X-Served-By), which changes nothing of the balancing.
 */
export async function exampleConfig(dir: string, port: number, backends: Backend[]): Promise<string> {
  let text = await fs.readFile(EXAMPLE_CONFIG, 'utf8');
  const replace = (pattern: RegExp, by: string) => {
    if (!pattern.test(text)) throw new Error(`deploy/haproxy.cfg has no line matching ${pattern}`);
    text = text.replace(pattern, by);
  };
  replace(/^(\s*)stats socket .*$/m, `$1stats socket ${path.join(dir, 'admin.sock')} mode 600 level admin\n$1pidfile ${path.join(dir, 'haproxy.pid')}`);
  replace(/^\s*log stdout .*$/m, '');
  replace(/^(\s*)option httplog\s*$/m, '');
  replace(/^(\s*)bind .*$/m, `$1bind 127.0.0.1:${port}`);
  text = text.replace(/^\s*server .*\n/gm, '');
  replace(/^(backend tasks\n(?:.*\n)*?)(\s*default-server .*\n)/m, `$1$2${serverLines(backends)}    http-response set-header X-Served-By %s\n`);
  return text;
}

/**
 * The plainest health-checked set-up: checks on /health/ready every 300 ms, one failure marks an instance down,
 * two successes bring it back, retries 3, option redispatch, HAProxy's default connection reuse, no retry-on.
 */
export function plainestConfig(dir: string, port: number, backends: Backend[]): string {
  return `global
    maxconn 4096
    stats socket ${path.join(dir, 'admin.sock')} mode 600 level admin
    pidfile ${path.join(dir, 'haproxy.pid')}

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch

frontend api
    bind 127.0.0.1:${port}
    default_backend tasks

backend tasks
    balance roundrobin
    option httpchk GET /health/ready
    default-server inter 300 fall 1 rise 2
${serverLines(backends)}    http-response set-header X-Served-By %s
`;
}

function serverLines(backends: Backend[]): string {
  return backends.map((b) => `    server ${b.name} 127.0.0.1:${b.port} check\n`).join('');
}

/** HAProxy in the foreground (-db), its pid file and admin socket in `dir`; stopped by PID. */
export class HaproxyProcess {
  output = '';
  private child!: ChildProcess;
  private exited!: Promise<void>;

  private constructor(readonly dir: string, readonly port: number, readonly configFile: string) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(dir: string, port: number, config: string): Promise<HaproxyProcess> {
    const configFile = path.join(dir, 'haproxy.cfg');
    await fs.writeFile(configFile, config);
    const proxy = new HaproxyProcess(dir, port, configFile);
    const check = spawn(HAPROXY_BIN, ['-c', '-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let checkOut = '';
    check.stdout!.on('data', (d: Buffer) => (checkOut += d));
    check.stderr!.on('data', (d: Buffer) => (checkOut += d));
    const code = await new Promise<number | null>((resolve) => check.on('exit', resolve));
    if (code !== 0) throw new Error(`haproxy -c refused the configuration:\n${checkOut}\n${config}`);
    proxy.child = spawn(HAPROXY_BIN, ['-db', '-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    proxy.child.stdout!.on('data', (d: Buffer) => (proxy.output += d));
    proxy.child.stderr!.on('data', (d: Buffer) => (proxy.output += d));
    proxy.exited = new Promise((resolve) => proxy.child.on('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    while (!existsSync(path.join(dir, 'admin.sock'))) {
      if (proxy.child.exitCode !== null) throw new Error(`haproxy exited:\n${proxy.output}`);
      if (Date.now() > deadline) throw new Error(`haproxy did not start:\n${proxy.output}`);
      await sleep(50);
    }
    return proxy;
  }

  async pid(): Promise<number> {
    // foreground HAProxy writes its pid file only in some modes: the process we spawned is the same one
    const text = await fs.readFile(path.join(this.dir, 'haproxy.pid'), 'utf8').catch(() => '');
    return Number(text.trim()) || this.child.pid!;
  }

  /** Sends a command to the admin socket and returns its answer. */
  command(cmd: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(path.join(this.dir, 'admin.sock'));
      let out = '';
      socket.on('data', (d) => (out += d));
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
      socket.end(`${cmd}\n`);
    });
  }

  /** The check status of each server of the backend: UP, DOWN, MAINT... */
  async serverStates(): Promise<Record<string, string>> {
    const csv = await this.command('show stat');
    const lines = csv.split('\n');
    const header = lines[0].replace(/^# /, '').split(',');
    const [px, sv, st] = ['pxname', 'svname', 'status'].map((name) => header.indexOf(name));
    const states: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      if (cells[px] === 'tasks' && cells[sv] !== 'BACKEND' && cells[sv] !== 'FRONTEND' && cells[sv]) states[cells[sv]] = cells[st];
    }
    return states;
  }

  async waitState(server: string, wanted: 'UP' | 'DOWN', timeoutMs = 30_000): Promise<number> {
    const started = Date.now();
    for (;;) {
      const state = (await this.serverStates())[server] ?? '';
      if (state.startsWith(wanted)) return Date.now() - started;
      if (Date.now() - started > timeoutMs) throw new Error(`${server} not ${wanted} after ${timeoutMs} ms (${state})`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(await this.pid(), 'SIGTERM');
      await Promise.race([this.exited, sleep(5000)]);
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    }
    await this.exited;
  }
}
