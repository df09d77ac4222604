import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { envSchema } from './env.schema';

/** Thrown for a configuration that must stop the process; its message is the one line printed. */
export class ConfigurationError extends Error {}

/** The validated, typed configuration. Provided by class, so `constructor(private config: AppConfig)` works. */
export class AppConfig {
  nodeEnv!: 'development' | 'production' | 'test';
  host!: string;
  port!: number;
  logLevel!: string;
  database!: {
    /** undefined: start the embedded PostgreSQL and use it. */
    url?: string;
    /** For migrations; defaults to url. Use Neon's direct (non-pooled) URL here. */
    directUrl?: string;
    sslMode?: string;
    sslRootCert?: string;
    poolMin: number;
    poolMax: number;
    acquireTimeoutMs: number;
    /** pg's client-side query_timeout: a database or network that does not answer at all. */
    queryTimeoutMs: number;
    idleTimeoutMs: number;
    startupTimeoutMs: number;
    migrateOnStart: boolean;
    /** Start in production even when row-level security does not hold for the service's role. */
    allowRlsBypass: boolean;
  };
  embedded!: { dir: string; port: number };
  /** secretGenerated: JWT_SECRET is not set, and `secret` is a random one (main.ts keeps one in .data/ instead, see dev-jwt-secret.ts). */
  jwt!: { secret: string; secretGenerated?: boolean; expiresInSeconds: number; issuer: string; audience: string };
  login!: { maxFailures: number; windowSeconds: number; ipMaxFailures: number; ipWindowSeconds: number };
  /**
   * ipMax registrations per client address in ipWindowSeconds (counted with the failed logins); hashConcurrency
   * registrations hash at once, hashQueue more wait for that at most hashQueueTimeoutMs: any beyond is 503 at once.
   */
  register!: { ipMax: number; ipWindowSeconds: number; hashConcurrency: number; hashQueue: number; hashQueueTimeoutMs: number };
  /** url undefined: counts (failed logins) stay in this process's memory. */
  redis!: { url?: string; keyPrefix: string };
  trustProxy!: boolean | number | string;
  shutdownTimeoutMs!: number;
  /** Time for a request's headers, and for the whole request (headers and body), to arrive: else 408. */
  httpTimeouts!: { requestMs: number; headersMs: number };
  /** SIGTERM: how long the process keeps serving, reported not ready, before it stops listening. */
  shutdownDrainDelayMs!: number;
  /** The Prometheus endpoint's port; 0: no endpoint. */
  metricsPort!: number;
  /** The address the Prometheus endpoint listens on (not `host`: it has no authentication). */
  metricsHost!: string;

  get isProduction(): boolean {
    return this.nodeEnv === 'production';
  }
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false' || value === '') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value; // an address list or a proxy-addr preset such as "loopback"
}

export interface LoadConfigOptions {
  /** For the migration commands: they sign nothing, so production does not require JWT_SECRET (a random one stands in). */
  migrationsOnly?: boolean;
}

/** Validates the environment; throws ConfigurationError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): AppConfig {
  const context = { migrationsOnly: options.migrationsOnly === true };
  const { error, value: v } = envSchema.validate(env, { abortEarly: true, convert: true, context });
  if (error) {
    throw new ConfigurationError(`Invalid configuration: ${error.details[0].message}`);
  }
  const production = v.NODE_ENV === 'production';
  const config = new AppConfig();
  Object.assign(config, {
    nodeEnv: v.NODE_ENV,
    host: v.HOST,
    port: v.PORT,
    logLevel: v.LOG_LEVEL,
    database: {
      url: v.DATABASE_URL,
      directUrl: v.DATABASE_DIRECT_URL,
      sslMode: v.DATABASE_SSLMODE,
      sslRootCert: v.DATABASE_SSL_ROOT_CERT,
      poolMin: v.DATABASE_POOL_MIN,
      poolMax: v.DATABASE_POOL_MAX,
      acquireTimeoutMs: v.DATABASE_ACQUIRE_TIMEOUT_MS,
      queryTimeoutMs: v.DATABASE_QUERY_TIMEOUT_MS,
      idleTimeoutMs: v.DATABASE_IDLE_TIMEOUT_MS,
      startupTimeoutMs: v.DATABASE_STARTUP_TIMEOUT_MS,
      // the embedded database always migrates, so that one command is enough
      migrateOnStart: v.MIGRATE_ON_START ?? (!production || !v.DATABASE_URL),
      allowRlsBypass: v.DATABASE_ALLOW_RLS_BYPASS,
    },
    embedded: { dir: path.resolve(v.EMBEDDED_PG_DIR), port: v.EMBEDDED_PG_PORT },
    jwt: {
      // outside production a missing secret is replaced by a random one: tokens then last one process
      secret: v.JWT_SECRET ?? randomBytes(32).toString('base64url'),
      secretGenerated: v.JWT_SECRET === undefined,
      expiresInSeconds: v.JWT_EXPIRES_IN_SECONDS,
      issuer: v.JWT_ISSUER,
      audience: v.JWT_AUDIENCE,
    },
    login: {
      maxFailures: v.LOGIN_MAX_FAILURES,
      windowSeconds: v.LOGIN_WINDOW_SECONDS,
      ipMaxFailures: v.LOGIN_IP_MAX_FAILURES,
      ipWindowSeconds: v.LOGIN_IP_WINDOW_SECONDS,
    },
    register: {
      ipMax: v.REGISTER_IP_MAX,
      ipWindowSeconds: v.REGISTER_IP_WINDOW_SECONDS,
      hashConcurrency: v.REGISTER_HASH_CONCURRENCY,
      hashQueue: v.REGISTER_HASH_QUEUE,
      hashQueueTimeoutMs: v.REGISTER_HASH_QUEUE_TIMEOUT_MS,
    },
    redis: { url: v.REDIS_URL || undefined, keyPrefix: v.REDIS_KEY_PREFIX },
    trustProxy: parseTrustProxy(v.TRUST_PROXY),
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    httpTimeouts: { requestMs: v.HTTP_REQUEST_TIMEOUT_MS, headersMs: v.HTTP_HEADERS_TIMEOUT_MS },
    shutdownDrainDelayMs: v.SHUTDOWN_DRAIN_DELAY_MS,
    metricsPort: v.METRICS_PORT,
    metricsHost: v.METRICS_HOST,
  });
  return config;
}
