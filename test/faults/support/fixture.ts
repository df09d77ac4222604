import { PgBouncer, type PgBouncerOptions } from './pgbouncer';
import { PgInstance, type PgInstanceOptions } from './pg-instance';
import { ServiceProcess, type ServiceOptions } from './service';
import { TcpProxy } from './tcp-proxy';
import { describeResult, isRetryable503, type HttpResult } from './http';
import { sleep } from './util';

/** Everything a scenario started, stopped in reverse order by `teardown()` (afterAll), whatever happened. */
export class Resources {
  private readonly cleanups: { name: string; run: () => Promise<unknown> }[] = [];
  readonly services: ServiceProcess[] = [];

  async pg(options: PgInstanceOptions = {}): Promise<PgInstance> {
    const pg = new PgInstance(options);
    this.cleanups.push({ name: `pg ${options.name ?? ''}`, run: () => pg.destroy() });
    await pg.init();
    await pg.start();
    await pg.createAppDatabase();
    return pg;
  }

  async bouncer(pg: PgInstance, options: PgBouncerOptions = {}): Promise<PgBouncer> {
    const bouncer = new PgBouncer(pg, options);
    this.cleanups.push({ name: 'pgbouncer', run: () => bouncer.destroy() });
    await bouncer.start();
    return bouncer;
  }

  async proxy(targetPort: number): Promise<TcpProxy> {
    const proxy = await TcpProxy.start(targetPort);
    this.cleanups.push({ name: 'proxy', run: () => proxy.close() });
    return proxy;
  }

  /** Spawns the service without waiting for it. */
  async spawnService(options: ServiceOptions): Promise<ServiceProcess> {
    const service = await ServiceProcess.spawn(options);
    this.services.push(service);
    this.cleanups.push({ name: `service ${options.name}`, run: () => service.stop(5000) });
    return service;
  }

  async service(options: ServiceOptions, readyTimeoutMs = 60_000): Promise<ServiceProcess> {
    const service = await this.spawnService(options);
    await service.waitReady(readyTimeoutMs);
    return service;
  }

  async teardown(): Promise<void> {
    for (const { name, run } of this.cleanups.reverse()) {
      try {
        await run();
      } catch (error) {
        process.stderr.write(`[faults] teardown of ${name} failed: ${String(error)}\n`);
      }
    }
    this.cleanups.length = 0;
  }
}

export type OpResult = HttpResult & { op: string; worker: number; seq: number };

/**
 * A steady load: `workers` loops each calling `step` until stop() is called. Every result is kept.
 */
export class Load {
  readonly results: OpResult[] = [];
  private stopping = false;
  private readonly loops: Promise<void>[] = [];

  constructor(
    workers: number,
    private readonly step: (worker: number, seq: number, record: (op: string, r: HttpResult) => HttpResult) => Promise<unknown>,
    private readonly pauseMs = 0,
  ) {
    for (let w = 0; w < workers; w++) this.loops.push(this.loop(w));
  }

  private async loop(worker: number): Promise<void> {
    for (let seq = 0; !this.stopping; seq++) {
      await this.step(worker, seq, (op, r) => {
        this.results.push({ ...r, op, worker, seq });
        return r;
      });
      if (this.pauseMs) await sleep(this.pauseMs);
    }
  }

  async stop(): Promise<OpResult[]> {
    this.stopping = true;
    await Promise.all(this.loops);
    return this.results;
  }
}

/**
 * The fault contract for a set of answers: each is one of `ok` statuses or a 503 with Retry-After, and came
 * within `budgetMs`. Returns the violations (empty when all is well) so that a failing test prints them.
 */
export function contractViolations(results: HttpResult[], ok: number[], budgetMs: number): string[] {
  const out: string[] = [];
  for (const r of results) {
    const label = (r as Partial<OpResult>).op ?? '';
    if (!(ok.includes(r.status) || isRetryable503(r))) out.push(`${label}: ${describeResult(r)}`);
    else if (r.ms > budgetMs) out.push(`${label}: answered ${r.status} only after ${r.ms} ms (budget ${budgetMs} ms)`);
  }
  return out;
}

export function summarize(results: HttpResult[]): string {
  const byStatus: Record<string, number> = {};
  let max = 0;
  for (const r of results) {
    const key = r.status ? String(r.status) : `net:${r.error}`;
    byStatus[key] = (byStatus[key] ?? 0) + 1;
    max = Math.max(max, r.ms);
  }
  return `${results.length} requests ${JSON.stringify(byStatus)} slowest ${max} ms`;
}
