import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, all threads) a process has used so far, in milliseconds; NaN once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND; // utime (14), stime (15)
  } catch {
    return NaN;
  }
}

/** CPU time so far of every local PostgreSQL process (postmaster, backends, workers), in ms, by pid. */
export function postgresCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') out.set(Number(entry), cpuMs(Number(entry)) || 0);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU used between two snapshots by the processes alive at the second (those that exited meanwhile are lost). */
export function cpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** Resident set size in MiB. */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export interface ServerSpec {
  /** 'service' or 'reference' in bench/run.ts; a build's folder name in bench/side-by-side.ts. */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  port: number;
}

export interface RunningServer {
  spec: ServerSpec;
  pid: number;
  baseUrl: string;
  /** Milliseconds from spawn to the first 200 of /health/ready. */
  readyMs: number;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills every server still running (on an early exit). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Starts a server and waits for /health/ready; its output goes to logFile. */
export async function startServer(spec: ServerSpec, logFile: string, timeoutMs = 90_000): Promise<RunningServer> {
  const log = createWriteStream(logFile);
  const t0 = performance.now();
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
    running.delete(child);
    resolve();
  }));
  const baseUrl = `http://127.0.0.1:${spec.port}`;
  for (;;) {
    if (exited) throw new Error(`${spec.name} ${exited} before it was ready; see ${logFile}:\n${tail(logFile)}`);
    if (performance.now() - t0 > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`${spec.name} not ready after ${timeoutMs} ms; see ${logFile}:\n${tail(logFile)}`);
    }
    const ok = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200, () => false);
    if (ok) break;
    await sleep(20);
  }
  const readyMs = performance.now() - t0;
  return {
    spec,
    pid: child.pid!,
    baseUrl,
    readyMs,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(killer);
      log.end();
    },
  };
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-25).join('\n');
  } catch {
    return '';
  }
}
