/**
 * The built server's metrics endpoint, which has no authentication, listens on METRICS_HOST: 127.0.0.1 unless
 * set, whatever HOST the API listens on; the start-up line says where. Every 127.0.0.0/8 address is this
 * machine's: a listener on every interface answers on 127.0.0.2 too, one on 127.0.0.1 does not.
 */
import { cleanEnv, freePort, httpJson, JWT_SECRET, ServerProcess, useBuiltServer } from '../support/built-server';
import { request } from '../support/http-client';

const START_MS = 90_000;

/** 'open' when host:port answers HTTP, else the connection's error code (ECONNREFUSED). */
async function probe(host: string, port: number): Promise<string> {
  const res = await request(`http://${host}:${port}`, 'GET', '/', { timeoutMs: 10_000 });
  return res.status ? 'open' : (res.error ?? 'no answer');
}

describe('METRICS_HOST on the built server', () => {
  const built = useBuiltServer();

  async function start(extra: Record<string, string | undefined>): Promise<{ server: ServerProcess; port: number; metricsPort: number }> {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const env = cleanEnv({ NODE_ENV: 'production', DATABASE_URL: built.url, JWT_SECRET, PORT: String(port), METRICS_PORT: String(metricsPort), LOG_LEVEL: 'warn', ...extra });
    return { server: built.start(env), port, metricsPort };
  }

  it('is 127.0.0.1 unless set, while the API listens on every interface (HOST unset), and the start-up line says so', async () => {
    const { server, port, metricsPort } = await start({ HOST: undefined });
    await server.waitForReady(`http://127.0.0.1:${port}`, START_MS);
    expect(server.stdout).toContain(`Metrics on http://127.0.0.1:${metricsPort}/metrics\n`);
    expect((await httpJson('GET', `http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(200);
    expect(await probe('127.0.0.2', metricsPort)).toBe('ECONNREFUSED');
    // the API, on HOST's default 0.0.0.0, does answer there
    expect((await httpJson('GET', `http://127.0.0.2:${port}/health/live`)).status).toBe(200);
  }, 120_000);

  it('listens where METRICS_HOST says, and only there', async () => {
    const { server, port, metricsPort } = await start({ HOST: '127.0.0.1', METRICS_HOST: '127.0.0.2' });
    await server.waitForReady(`http://127.0.0.1:${port}`, START_MS);
    expect(server.stdout).toContain(`Metrics on http://127.0.0.2:${metricsPort}/metrics\n`);
    expect((await httpJson('GET', `http://127.0.0.2:${metricsPort}/metrics`)).status).toBe(200);
    expect(await probe('127.0.0.1', metricsPort)).toBe('ECONNREFUSED');
  }, 120_000);

  it('stops the start with one line when METRICS_HOST is not an address of this machine', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned, so binding it fails without any traffic
    const { server, metricsPort } = await start({ HOST: '127.0.0.1', METRICS_HOST: '192.0.2.1' });
    expect(await server.waitForExit(START_MS)).toEqual({ code: 1, signal: null });
    expect(server.stderr.split('\n').filter((line) => line.trim() !== '')).toEqual([
      'Metrics host 192.0.2.1 is not an address of this machine: set METRICS_HOST to one (127.0.0.1 by default, 0.0.0.0 for every interface)',
    ]);
    expect(await probe('127.0.0.1', metricsPort)).toBe('ECONNREFUSED');
  }, 120_000);
});
