import Joi from 'joi';

const nodeEnv = Joi.ref('NODE_ENV');
const postgresUrl = Joi.string().uri({ scheme: ['postgres', 'postgresql'] });
const ms = (fallback: number) => Joi.number().integer().min(1).default(fallback);

/**
 * Every environment variable the service reads. Anything not listed here is ignored.
 * In production the database URL and a strong JWT secret are required; everything else has a default.
 */
export const envSchema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'production', 'test').default('development'),
  HOST: Joi.string().default('0.0.0.0'),
  PORT: Joi.number().port().default(3000),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),

  DATABASE_URL: postgresUrl.when(nodeEnv, { is: 'production', then: Joi.required() }),
  DATABASE_DIRECT_URL: postgresUrl,
  DATABASE_SSLMODE: Joi.string().valid('disable', 'prefer', 'require', 'verify-ca', 'verify-full'),
  DATABASE_SSL_ROOT_CERT: Joi.string(),
  DATABASE_POOL_MIN: Joi.number().integer().min(0).default(0),
  DATABASE_POOL_MAX: Joi.number().integer().min(1).max(1000).default(10),
  // pg's pool has one timeout for opening a connection and for waiting for a pooled one
  DATABASE_CONNECT_TIMEOUT_MS: Joi.any().forbidden().messages({
    'any.unknown': '"DATABASE_CONNECT_TIMEOUT_MS" was removed: DATABASE_ACQUIRE_TIMEOUT_MS bounds both opening a connection and waiting for a pooled one',
  }),
  DATABASE_ACQUIRE_TIMEOUT_MS: ms(4000),
  DATABASE_QUERY_TIMEOUT_MS: ms(4500),
  // replaced by the database's own statement_timeout (a migration sets it) and DATABASE_QUERY_TIMEOUT_MS
  DATABASE_STATEMENT_TIMEOUT_MS: Joi.any().forbidden().messages({
    'any.unknown': '"DATABASE_STATEMENT_TIMEOUT_MS" was removed: statements are limited by the database\'s statement_timeout (see README); use DATABASE_QUERY_TIMEOUT_MS for the client-side limit',
  }),
  DATABASE_IDLE_TIMEOUT_MS: ms(30000),
  DATABASE_STARTUP_TIMEOUT_MS: ms(60000),
  MIGRATE_ON_START: Joi.boolean(),
  // production refuses to start on a role that skips row-level security (superuser, BYPASSRLS) unless this accepts it
  DATABASE_ALLOW_RLS_BYPASS: Joi.boolean().default(false),
  DATABASE_PREPARED_STATEMENTS: Joi.any().forbidden().messages({
    'any.unknown': '"DATABASE_PREPARED_STATEMENTS" was removed: every query is built by MikroORM, which sends no named statements',
  }),

  EMBEDDED_PG_DIR: Joi.string().default('.data/pg'),
  EMBEDDED_PG_PORT: Joi.number().port().default(54329),

  // required in production to serve, not to migrate (loadConfig's `migrationsOnly`: migrating signs nothing)
  JWT_SECRET: Joi.string().when(nodeEnv, {
    is: 'production',
    then: Joi.when('$migrationsOnly', { is: true, then: Joi.string().min(1), otherwise: Joi.string().min(32).required() }),
    otherwise: Joi.string().min(1),
  }),
  JWT_EXPIRES_IN_SECONDS: Joi.number().integer().min(1).default(3600),
  JWT_ISSUER: Joi.string().default('task-service'),
  JWT_AUDIENCE: Joi.string().default('task-service'),

  LOGIN_MAX_FAILURES: Joi.number().integer().min(1).default(10),
  LOGIN_WINDOW_SECONDS: Joi.number().integer().min(1).default(900),
  LOGIN_IP_MAX_FAILURES: Joi.number().integer().min(1).default(100),
  LOGIN_IP_WINDOW_SECONDS: Joi.number().integer().min(1).default(900),
  // registrations per client address, counted where the failed logins are (in Redis with REDIS_URL)
  REGISTER_IP_MAX: Joi.number().integer().min(1).default(20),
  REGISTER_IP_WINDOW_SECONDS: Joi.number().integer().min(1).default(3600),
  // registrations hashing a password (argon2id, 64 MiB, most of a core) at once: fewer than libuv's threads
  // (UV_THREADPOOL_SIZE, 4 unless set), so that a login's verify always finds a free one; 1 leaves a 2-core
  // machine's other core to logins
  REGISTER_HASH_CONCURRENCY: Joi.number()
    .integer()
    .min(1)
    .less(Joi.ref('UV_THREADPOOL_SIZE', { adjust: (size: unknown) => (size === undefined || size === '' ? 4 : Number(size)) }))
    .default(1)
    .messages({ 'number.less': '"REGISTER_HASH_CONCURRENCY" must be less than the libuv thread pool (UV_THREADPOOL_SIZE, 4 unless set), or logins would wait behind registrations' }),
  // registrations that may wait for one of those (with them, 16 by default); any more is 503 at once
  REGISTER_HASH_QUEUE: Joi.number().integer().min(0).default(15),
  // the longest a registration waits for a hashing slot before it is 503; with the hashing, under 10 s in all
  REGISTER_HASH_QUEUE_TIMEOUT_MS: Joi.number().integer().min(1).max(9000).default(8000),
  REDIS_URL: Joi.string().uri({ scheme: ['redis', 'rediss'] }).allow(''),
  REDIS_KEY_PREFIX: Joi.string().default('task-service:'),
  TRUST_PROXY: Joi.string().allow('').default('false'),
  // a request whose body (and headers) have not all arrived in this time is cut with 408; headers first, in less
  HTTP_REQUEST_TIMEOUT_MS: ms(10000),
  HTTP_HEADERS_TIMEOUT_MS: Joi.number().integer().min(1).max(Joi.ref('HTTP_REQUEST_TIMEOUT_MS')).default(5000),
  SHUTDOWN_TIMEOUT_MS: ms(8000),
  // SIGTERM: /health/ready answers 503 at once and the API keeps serving this long before it stops listening
  // (a load balancer checking every 300 ms with fall 1 has taken the instance out well before); < SHUTDOWN_TIMEOUT_MS
  SHUTDOWN_DRAIN_DELAY_MS: Joi.number().integer().min(0).less(Joi.ref('SHUTDOWN_TIMEOUT_MS')).default(2000),
  // Prometheus metrics (GET /metrics) on a port of their own, never the API's; 0 turns them off
  METRICS_PORT: Joi.number().port().default(9464),
  // the endpoint has no authentication: loopback unless an operator opens it (0.0.0.0, or an interface's address)
  METRICS_HOST: Joi.string().hostname().default('127.0.0.1'),
}).unknown(true);
