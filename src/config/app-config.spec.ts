import path from 'node:path';
import { AppConfig, ConfigurationError, loadConfig } from './app-config';

const STRONG_SECRET = 'x'.repeat(32);
const URL = 'postgres://app:secret@db.example.com:5432/tasks';

// every case passes its own environment: nothing leaks in from the one running the tests
const sut = loadConfig;

function configError(env: Record<string, string>): ConfigurationError {
  try {
    sut(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe(loadConfig.name, () => {
  describe('defaults', () => {
    it('fills every variable when none is set (development, embedded database)', () => {
      const config = sut({});
      expect(config).toBeInstanceOf(AppConfig);
      expect(config.nodeEnv).toBe('development');
      expect(config.isProduction).toBe(false);
      expect(config.host).toBe('0.0.0.0');
      expect(config.port).toBe(3000);
      expect(config.logLevel).toBe('info');
      expect(config.database).toEqual({
        url: undefined,
        directUrl: undefined,
        sslMode: undefined,
        sslRootCert: undefined,
        poolMin: 0,
        poolMax: 10,
        acquireTimeoutMs: 4000,
        queryTimeoutMs: 4500,
        idleTimeoutMs: 30000,
        startupTimeoutMs: 60000,
        migrateOnStart: true,
        allowRlsBypass: false,
      });
      expect(config.embedded).toEqual({ dir: path.resolve('.data/pg'), port: 54329 });
      expect(config.jwt).toMatchObject({ expiresInSeconds: 3600, issuer: 'task-service', audience: 'task-service' });
      expect(config.login).toEqual({ maxFailures: 10, windowSeconds: 900, ipMaxFailures: 100, ipWindowSeconds: 900 });
      expect(config.register).toEqual({ ipMax: 20, ipWindowSeconds: 3600, hashConcurrency: 1, hashQueue: 15, hashQueueTimeoutMs: 8000 });
      expect(config.redis).toEqual({ url: undefined, keyPrefix: 'task-service:' });
      expect(config.trustProxy).toBe(false);
      expect(config.shutdownTimeoutMs).toBe(8000);
    });

    it('makes a random JWT secret of at least 32 characters outside production, a different one per load', () => {
      const first = sut({}).jwt.secret;
      const second = sut({}).jwt.secret;
      expect(first.length).toBeGreaterThanOrEqual(32);
      expect(first).not.toBe(second);
    });

    it('keeps the JWT secret exactly as given', () => {
      const secret = '  spaces and ünïcode stay as they are  ';
      expect(sut({ JWT_SECRET: secret }).jwt.secret).toBe(secret);
    });

    it('converts numbers and resolves the embedded data folder', () => {
      const config = sut({ PORT: '8080', DATABASE_POOL_MAX: '3', DATABASE_STARTUP_TIMEOUT_MS: '1500', EMBEDDED_PG_DIR: 'tmp/pg', EMBEDDED_PG_PORT: '6000' });
      expect(config.port).toBe(8080);
      expect(config.database.poolMax).toBe(3);
      expect(config.database.startupTimeoutMs).toBe(1500);
      expect(config.embedded).toEqual({ dir: path.resolve('tmp/pg'), port: 6000 });
    });

    it('ignores variables it does not know', () => {
      expect(sut({ SOMETHING_ELSE: 'whatever', PATH: '/usr/bin' }).port).toBe(3000);
    });
  });

  describe('production', () => {
    it('requires DATABASE_URL', () => {
      const error = configError({ NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET });
      expect(error.message).toContain('DATABASE_URL');
      expect(error.message).not.toContain('\n');
    });

    it('requires JWT_SECRET', () => {
      expect(configError({ NODE_ENV: 'production', DATABASE_URL: URL }).message).toContain('JWT_SECRET');
    });

    it('refuses a JWT_SECRET of 31 characters and accepts one of 32', () => {
      const error = configError({ NODE_ENV: 'production', DATABASE_URL: URL, JWT_SECRET: 'x'.repeat(31) });
      expect(error.message).toContain('JWT_SECRET');
      expect(error.message).not.toContain('x'.repeat(31)); // the secret itself is never printed
      expect(sut({ NODE_ENV: 'production', DATABASE_URL: URL, JWT_SECRET: STRONG_SECRET }).jwt.secret).toBe(STRONG_SECRET);
    });

    it('accepts a short JWT_SECRET outside production', () => {
      expect(sut({ NODE_ENV: 'development', JWT_SECRET: 'short' }).jwt.secret).toBe('short');
    });

    describe('for the migration commands (migrationsOnly), which sign nothing', () => {
      it('does not require JWT_SECRET, and stands a random one in', () => {
        const config = sut({ NODE_ENV: 'production', DATABASE_URL: URL }, { migrationsOnly: true });
        expect(config.isProduction).toBe(true);
        expect(config.database.url).toBe(URL);
        expect(config.jwt.secret.length).toBeGreaterThanOrEqual(32);
      });

      it('nor a strong one', () => {
        expect(() => sut({ NODE_ENV: 'production', DATABASE_URL: URL, JWT_SECRET: 'short' }, { migrationsOnly: true })).not.toThrow();
      });

      it('still requires DATABASE_URL', () => {
        expect(() => sut({ NODE_ENV: 'production' }, { migrationsOnly: true })).toThrow(/DATABASE_URL/);
      });

      it('leaves the service itself refusing production without JWT_SECRET', () => {
        expect(configError({ NODE_ENV: 'production', DATABASE_URL: URL }).message).toContain('JWT_SECRET');
        expect(() => sut({ NODE_ENV: 'production', DATABASE_URL: URL }, { migrationsOnly: false })).toThrow(/JWT_SECRET/);
      });
    });

    it('has a default for everything else', () => {
      const config = sut({ NODE_ENV: 'production', DATABASE_URL: URL, JWT_SECRET: STRONG_SECRET });
      expect(config.isProduction).toBe(true);
      expect(config.database.url).toBe(URL);
      expect(config.port).toBe(3000);
    });
  });

  describe('MIGRATE_ON_START', () => {
    it.each(['development', 'test'])('defaults to true in %s, with or without DATABASE_URL', (NODE_ENV) => {
      expect(sut({ NODE_ENV }).database.migrateOnStart).toBe(true);
      expect(sut({ NODE_ENV, DATABASE_URL: URL }).database.migrateOnStart).toBe(true);
    });

    it('defaults to false in production', () => {
      expect(sut({ NODE_ENV: 'production', DATABASE_URL: URL, JWT_SECRET: STRONG_SECRET }).database.migrateOnStart).toBe(false);
    });

    it('can be turned on in production and off elsewhere', () => {
      expect(sut({ NODE_ENV: 'production', DATABASE_URL: URL, JWT_SECRET: STRONG_SECRET, MIGRATE_ON_START: 'true' }).database.migrateOnStart).toBe(true);
      expect(sut({ DATABASE_URL: URL, MIGRATE_ON_START: 'false' }).database.migrateOnStart).toBe(false);
    });

    it('names the variable when it is not a boolean', () => {
      expect(configError({ MIGRATE_ON_START: 'sometimes' }).message).toContain('MIGRATE_ON_START');
    });
  });

  describe('removed variables', () => {
    it.each([
      ['DATABASE_STATEMENT_TIMEOUT_MS', '4000', 'statement_timeout'],
      ['DATABASE_PREPARED_STATEMENTS', 'true', 'MikroORM'],
    ])('%s stops the start with a line that says what replaced it', (name, value, replacement) => {
      const message = configError({ [name]: value }).message;
      expect(message).toContain(name);
      expect(message).toContain('was removed');
      expect(message).toContain(replacement);
    });
  });

  describe('TRUST_PROXY', () => {
    it.each([
      ['true', true],
      ['false', false],
      ['', false],
      ['0', 0],
      ['1', 1],
      ['2', 2],
      ['loopback', 'loopback'],
      ['10.0.0.0/8, 192.168.0.1', '10.0.0.0/8, 192.168.0.1'],
    ])('reads %j as %j', (TRUST_PROXY, expected) => {
      expect(sut({ TRUST_PROXY }).trustProxy).toBe(expected);
    });

    it('does not trust a proxy by default', () => {
      expect(sut({}).trustProxy).toBe(false);
    });
  });

  describe('bad values stop with one line naming the variable', () => {
    it.each([
      ['PORT', 'abc'],
      ['PORT', '70000'],
      ['NODE_ENV', 'staging'],
      ['LOG_LEVEL', 'loud'],
      ['DATABASE_URL', 'mysql://root@localhost/db'],
      ['DATABASE_URL', 'not a url'],
      ['DATABASE_DIRECT_URL', 'http://example.com'],
      ['DATABASE_SSLMODE', 'sometimes'],
      ['DATABASE_POOL_MAX', '0'],
      ['DATABASE_POOL_MIN', '-1'],
      ['DATABASE_ALLOW_RLS_BYPASS', 'maybe'],
      ['DATABASE_ACQUIRE_TIMEOUT_MS', '0'],
      ['DATABASE_QUERY_TIMEOUT_MS', '1.5'],
      ['DATABASE_STARTUP_TIMEOUT_MS', 'soon'],
      ['EMBEDDED_PG_PORT', 'abc'],
      ['JWT_EXPIRES_IN_SECONDS', '0'],
      ['LOGIN_MAX_FAILURES', 'many'],
      ['LOGIN_IP_MAX_FAILURES', '0'],
      ['LOGIN_IP_WINDOW_SECONDS', 'long'],
      ['REGISTER_IP_MAX', '0'],
      ['REGISTER_IP_WINDOW_SECONDS', 'hour'],
      ['REGISTER_HASH_CONCURRENCY', '0'],
      ['REGISTER_HASH_QUEUE', '-1'],
      ['REGISTER_HASH_QUEUE_TIMEOUT_MS', '0'],
      ['REDIS_URL', 'http://127.0.0.1:6379'],
      ['SHUTDOWN_TIMEOUT_MS', '-5'],
    ])('%s=%j', (name, value) => {
      const error = configError({ [name]: value });
      expect(error.message).toContain(name);
      expect(error.message).not.toContain('\n');
    });
  });
});
