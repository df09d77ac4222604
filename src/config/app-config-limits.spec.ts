import { ConfigurationError, loadConfig } from './app-config';

// every case passes its own environment: nothing leaks in from the one running the tests
const sut = loadConfig;

/** The start is refused with a ConfigurationError whose one line names every one of `names`. */
function expectRefused(env: Record<string, string>, ...names: string[]): void {
  expect(() => sut(env)).toThrow(ConfigurationError);
  for (const name of names) expect(() => sut(env)).toThrow(name);
}

describe(`${loadConfig.name}: registration limits, the drain and the metrics port`, () => {
  describe('registration limits', () => {
    it('reads them', () => {
      const env = { REGISTER_IP_MAX: '5', REGISTER_IP_WINDOW_SECONDS: '60', REGISTER_HASH_CONCURRENCY: '1', REGISTER_HASH_QUEUE: '0', REGISTER_HASH_QUEUE_TIMEOUT_MS: '250' };
      expect(sut(env).register).toEqual({ ipMax: 5, ipWindowSeconds: 60, hashConcurrency: 1, hashQueue: 0, hashQueueTimeoutMs: 250 });
    });

    it('keeps registrations hashing at once below the libuv thread pool, so that a login always finds a thread', () => {
      expect(sut({ REGISTER_HASH_CONCURRENCY: '3' }).register.hashConcurrency).toBe(3);
      expectRefused({ REGISTER_HASH_CONCURRENCY: '4' }, 'REGISTER_HASH_CONCURRENCY', 'UV_THREADPOOL_SIZE');
      expect(sut({ REGISTER_HASH_CONCURRENCY: '7', UV_THREADPOOL_SIZE: '8' }).register.hashConcurrency).toBe(7);
      expectRefused({ REGISTER_HASH_CONCURRENCY: '8', UV_THREADPOOL_SIZE: '8' }, 'REGISTER_HASH_CONCURRENCY');
    });

    it('lets no registration wait more than 9 s for a hashing slot', () => {
      expectRefused({ REGISTER_HASH_QUEUE_TIMEOUT_MS: '9001' }, 'REGISTER_HASH_QUEUE_TIMEOUT_MS');
    });
  });

  describe('drain and metrics port', () => {
    const base = { NODE_ENV: 'test' };

    it('drains 2 s on SIGTERM and serves metrics on 9464 by default', () => {
      const config = sut(base);
      expect(config.shutdownDrainDelayMs).toBe(2000);
      expect(config.metricsPort).toBe(9464);
    });

    it('takes SHUTDOWN_DRAIN_DELAY_MS (0: no drain) and METRICS_PORT (0: no endpoint)', () => {
      const config = sut({ ...base, SHUTDOWN_DRAIN_DELAY_MS: '0', METRICS_PORT: '0' });
      expect(config.shutdownDrainDelayMs).toBe(0);
      expect(config.metricsPort).toBe(0);
    });

    it('refuses a drain that does not leave time to close within SHUTDOWN_TIMEOUT_MS', () => {
      expect(() => sut({ ...base, SHUTDOWN_DRAIN_DELAY_MS: '8000' })).toThrow(ConfigurationError);
      expect(() => sut({ ...base, SHUTDOWN_DRAIN_DELAY_MS: '9000', SHUTDOWN_TIMEOUT_MS: '15000' })).not.toThrow();
    });

    it.each([['METRICS_PORT', '70000'], ['METRICS_PORT', 'abc'], ['SHUTDOWN_DRAIN_DELAY_MS', '-1']])('names %s=%j', (name, value) => {
      expect(() => sut({ ...base, [name]: value })).toThrow(name);
    });
  });
});
