import Joi from 'joi';

const isProduction = Joi.ref('NODE_ENV');
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

  DATABASE_URL: postgresUrl.when(isProduction, { is: 'production', then: Joi.required() }),
  DATABASE_DIRECT_URL: postgresUrl,
  DATABASE_SSLMODE: Joi.string().valid('disable', 'prefer', 'require', 'verify-ca', 'verify-full'),
  DATABASE_SSL_ROOT_CERT: Joi.string(),
  DATABASE_POOL_MIN: Joi.number().integer().min(0).default(0),
  DATABASE_POOL_MAX: Joi.number().integer().min(1).max(1000).default(10),
  DATABASE_CONNECT_TIMEOUT_MS: ms(3000),
  DATABASE_ACQUIRE_TIMEOUT_MS: ms(4000),
  DATABASE_STATEMENT_TIMEOUT_MS: ms(4000),
  DATABASE_IDLE_TIMEOUT_MS: ms(30000),
  DATABASE_STARTUP_TIMEOUT_MS: ms(60000),
  MIGRATE_ON_START: Joi.boolean(),
  DATABASE_PREPARED_STATEMENTS: Joi.boolean().default(true),

  EMBEDDED_PG_DIR: Joi.string().default('.data/pg'),
  EMBEDDED_PG_PORT: Joi.number().port().default(54329),

  JWT_SECRET: Joi.string().when(isProduction, {
    is: 'production',
    then: Joi.string().min(32).required(),
    otherwise: Joi.string().min(1),
  }),
  JWT_EXPIRES_IN_SECONDS: Joi.number().integer().min(1).default(3600),
  JWT_ISSUER: Joi.string().default('task-service'),
  JWT_AUDIENCE: Joi.string().default('task-service'),

  LOGIN_MAX_FAILURES: Joi.number().integer().min(1).default(10),
  LOGIN_WINDOW_SECONDS: Joi.number().integer().min(1).default(900),
  TRUST_PROXY: Joi.string().allow('').default('false'),
  SHUTDOWN_TIMEOUT_MS: ms(8000),
}).unknown(true);
