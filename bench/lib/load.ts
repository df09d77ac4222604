import autocannon, { Request } from 'autocannon';
import { cpuMs, cpuSince, postgresCpu } from './proc';
import { Samples } from './stats';

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  non2xx: number;
  /** Connection errors and timeouts (no response at all). */
  errors: number;
  /** Status codes other than 2xx, with their counts. */
  statuses: Record<number, number>;
  latencies: Samples;
  /** Server CPU (user + system) per response, in ms. */
  cpuPerRequest: number;
  /** PostgreSQL CPU (all its processes) per response, in ms; NaN when the database is not local. */
  dbCpuPerRequest: number;
}

export interface LoadOptions {
  baseUrl: string;
  pid: number;
  connections: number;
  seconds: number;
  /** Builds each request (a random user's token, a random task...). */
  next: () => Request;
  /** Called every second while the load runs. */
  tick?: (elapsedSeconds: number) => void;
  measureDb: boolean;
}

/**
 * Runs one closed-loop load for a fixed duration. Latencies come from autocannon's per-response event, which
 * carries the exact hrtime duration (autocannon's own histogram keeps whole milliseconds only).
 */
export function runLoad(o: LoadOptions): Promise<LoadResult> {
  const latencies = new Samples();
  const statuses: Record<number, number> = {};
  let non2xx = 0;
  const cpu0 = cpuMs(o.pid);
  const db0 = o.measureDb ? postgresCpu() : undefined;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: o.baseUrl,
        connections: o.connections,
        duration: o.seconds,
        timeout: 10,
        requests: [{ setupRequest: () => o.next() }],
      },
      (error, result) => {
        clearInterval(timer);
        if (error) return reject(error);
        const seconds = (performance.now() - t0) / 1000;
        const cpu = cpuMs(o.pid) - cpu0;
        const db = db0 ? cpuSince(db0, postgresCpu()) : NaN;
        const n = latencies.length;
        resolve({
          requests: n,
          seconds,
          rps: n / seconds,
          non2xx,
          errors: result.errors + result.timeouts,
          statuses,
          latencies,
          cpuPerRequest: n ? cpu / n : NaN,
          dbCpuPerRequest: n ? db / n : NaN,
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      latencies.push(ms);
      if (status < 200 || status > 299) {
        non2xx++;
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    });
    const started = performance.now();
    const timer = setInterval(() => o.tick?.((performance.now() - started) / 1000), 1000);
  });
}
