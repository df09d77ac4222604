import http from 'node:http';
import { cleanEnv, JWT_SECRET, ServerProcess } from '../../support/built-server';
import { request, type HttpResult, type RequestOptions } from '../../support/http-client';
import { createServiceDatabase, dropDatabase, useTestServer } from '../../support/test-database';

export { request, type HttpResult };

/** The machine's PostgreSQL (trust auth): the fleet's one database is created on it, and dropped after. */
export const ADMIN_URL = process.env.FLEET_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.FLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const START_MS = 90_000;

/** The fleet's one database, owned by the service's ordinary role (row-level security holds for it). */
export async function createFleetDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  await useTestServer(ADMIN_URL, 'ts_fleet');
  const url = await createServiceDatabase();
  return { url, drop: () => dropDatabase(url) };
}

/** One instance of the service, on a fixed port (so that a restarted instance is the same HAProxy server). */
export class Instance {
  process?: ServerProcess;
  starts = 0;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly mainJs: string,
    private readonly env: Record<string, string>,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(extra: Record<string, string> = {}): Promise<void> {
    this.starts++;
    this.process = ServerProcess.node(
      // SHUTDOWN_DRAIN_DELAY_MS undefined: the service's own default drain, which the rolling restart is about
      cleanEnv({ NODE_ENV: 'production', JWT_SECRET, HOST: '127.0.0.1', PORT: String(this.port), LOG_LEVEL: 'warn', METRICS_PORT: '0', SHUTDOWN_DRAIN_DELAY_MS: undefined, ...this.env, ...extra }),
      this.mainJs,
    );
    await this.process.waitForReady(this.baseUrl, START_MS);
  }

  /** SIGTERM, and the exit (which must come within 10 s). */
  async terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const started = Date.now();
    this.process!.signal('SIGTERM');
    const exit = await this.process!.waitForExit(15_000);
    return { ...exit, ms: Date.now() - started };
  }

  async kill(): Promise<void> {
    await this.process?.kill();
  }
}

export function call(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<HttpResult> {
  return request(baseUrl, method, path, { timeoutMs: 15_000, ...options });
}

export function keepAliveAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets });
}
