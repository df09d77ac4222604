import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { cleanEnv, freePort, JWT_SECRET, privateBuild, removePrivateBuild, ServerProcess } from '../support/built-server';
import { createServiceDatabase, dropDatabase, useTestServer } from '../support/test-database';
import { sleep } from '../support/wait';

export const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
const ADMIN_URL = process.env.REDIS_SUITE_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A key prefix of this run's own, so that runs (and test files) never share a count. */
export function uniquePrefix(): string {
  return `task-service-test:${process.pid}-${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under the prefix (SCAN, not KEYS, so that a shared Redis is not blocked). */
export async function deleteKeys(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * An empty database of this test file's own on the machine's PostgreSQL, owned by the service's ordinary role
 * (row-level security holds for it, as a production start requires); the service migrates it on start.
 */
export async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  await useTestServer(ADMIN_URL, 'ts_redis');
  const url = await createServiceDatabase();
  return { url, drop: () => dropDatabase(url) };
}

/** For a test file: a private build and a database of its own, made before its tests and removed after them. */
export function useBuildAndDatabase(): { mainJs: string; url: string } {
  const fixture = { mainJs: '', url: '' };
  let database: { url: string; drop(): Promise<void> } | undefined;
  beforeAll(async () => {
    fixture.mainJs = await privateBuild();
    database = await createDatabase();
    fixture.url = database.url;
  }, 600_000);
  afterAll(async () => {
    await database?.drop();
    removePrivateBuild(fixture.mainJs);
  });
  return fixture;
}

let addresses = 0;

/** Another client address (TRUST_PROXY=loopback reads it from X-Forwarded-For) in `network`, e.g. '203.0.113'. */
export function clientAddress(network: string): string {
  return `${network}.${(addresses++ % 250) + 1}`;
}

/** A redis-server of a describe block's own, and one service process using it. */
export interface OwnRedis {
  redis: RedisServer;
  service: Service;
}

/** For a describe block: its own Redis (one it can stop) and a service on it, both ended after the block. */
export function useOwnRedis(files: { mainJs: string; url: string }, env: Record<string, string> = {}): OwnRedis {
  const prefix = uniquePrefix();
  const own = {} as OwnRedis;
  beforeAll(async () => {
    own.redis = await RedisServer.start();
    own.service = await startService(files.mainJs, { DATABASE_URL: files.url, ...env, REDIS_URL: own.redis.url, REDIS_KEY_PREFIX: prefix });
  });
  afterAll(async () => {
    await own.service?.process.kill();
    await own.redis?.stop();
  });
  return own;
}

export interface Service {
  process: ServerProcess;
  baseUrl: string;
}

/** `node <mainJs>` in production mode on a free port, ready (GET /health/ready 200). */
export async function startService(mainJs: string, env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const process_ = ServerProcess.node(
    cleanEnv({ NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), JWT_SECRET, LOG_LEVEL: 'warn', MIGRATE_ON_START: 'true', ...env }),
    mainJs,
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await process_.waitForReady(baseUrl, 60_000);
  } catch (error) {
    await process_.kill();
    throw error;
  }
  return { process: process_, baseUrl };
}

/** A redis-server of the test's own, on a free port, stopped by its PID. */
export class RedisServer {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  output = '';

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.restart();
    return server;
  }

  /** (Re)starts it on the same port and waits until it answers PING. */
  async restart(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      const pong = await client
        .connect()
        .then(() => client.ping())
        .catch(() => undefined);
      client.disconnect();
      if (pong === 'PONG') return;
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not answer\n${this.output}`);
      await sleep(100);
    }
  }

  /** SIGKILL by PID: as abrupt as a crash or a lost network. */
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    process.kill(this.child.pid!, 'SIGKILL');
    await this.exited;
  }
}
