import { ConfigurationError, loadConfig } from '../config/app-config';

const base = { NODE_ENV: 'test' };

describe('drain and metrics configuration (issue 16)', () => {
  it('drains 2 s on SIGTERM and serves metrics on 9464 by default', () => {
    const config = loadConfig(base);
    expect(config.shutdownDrainDelayMs).toBe(2000);
    expect(config.metricsPort).toBe(9464);
  });

  it('takes SHUTDOWN_DRAIN_DELAY_MS (0: no drain) and METRICS_PORT (0: no endpoint)', () => {
    const config = loadConfig({ ...base, SHUTDOWN_DRAIN_DELAY_MS: '0', METRICS_PORT: '0' });
    expect(config.shutdownDrainDelayMs).toBe(0);
    expect(config.metricsPort).toBe(0);
  });

  it('refuses a drain that does not leave time to close within SHUTDOWN_TIMEOUT_MS', () => {
    expect(() => loadConfig({ ...base, SHUTDOWN_DRAIN_DELAY_MS: '8000' })).toThrow(ConfigurationError);
    expect(() => loadConfig({ ...base, SHUTDOWN_DRAIN_DELAY_MS: '9000', SHUTDOWN_TIMEOUT_MS: '15000' })).not.toThrow();
  });

  it.each([['METRICS_PORT', '70000'], ['METRICS_PORT', 'abc'], ['SHUTDOWN_DRAIN_DELAY_MS', '-1']])('names %s=%j', (name, value) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(name);
  });
});
