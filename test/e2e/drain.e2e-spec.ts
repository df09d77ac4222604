/**
 * The built server as a process. On SIGTERM /health/ready turns 503 at once while the API keeps
 * serving for SHUTDOWN_DRAIN_DELAY_MS (answers say Connection: close), then it exits 0; the metrics are served
 * on METRICS_PORT and not on the API port; a metrics port already taken stops the start with one line.
 */
import { createServer, type Server } from 'node:net';
import { cleanEnv, freePort, httpJson, JWT_SECRET, register, ServerProcess, useBuiltServer } from '../support/built-server';
import { uniqueEmail } from '../support/test-app';
import { sleep } from '../support/wait';

const START_MS = 90_000;
const DRAIN_MS = 1500;

describe('drain on SIGTERM, and the metrics port', () => {
  const built = useBuiltServer();

  async function start(extra: Record<string, string>): Promise<{ server: ServerProcess; baseUrl: string }> {
    const port = await freePort();
    const env = cleanEnv({ NODE_ENV: 'production', DATABASE_URL: built.url, JWT_SECRET, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...extra });
    return { server: built.start(env), baseUrl: `http://127.0.0.1:${port}` };
  }

  it('answers 503 on /health/ready right after SIGTERM, keeps serving for the drain delay, then exits 0', async () => {
    const metricsPort = await freePort();
    const { server, baseUrl } = await start({ SHUTDOWN_DRAIN_DELAY_MS: String(DRAIN_MS), METRICS_PORT: String(metricsPort) });
    await server.waitForReady(baseUrl, START_MS);
    const { token } = await register(baseUrl, uniqueEmail('drain'), 'correct horse battery staple');
    const auth = { authorization: `Bearer ${token}` };

    // the metrics are on their own port, and not on the API's
    const metrics = await httpJson('GET', `http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(String(metrics.body)).toContain('http_requests_total{');
    expect((await httpJson('GET', `${baseUrl}/metrics`)).status).toBe(404);

    const termAt = Date.now();
    server.signal('SIGTERM');
    // the signal reaches the process asynchronously: a request sent in the same millisecond may still find it
    // ready, so ask until it says 503, which must be at once (well within the drain)
    let ready = await httpJson('GET', `${baseUrl}/health/ready`);
    while (ready.status === 200 && Date.now() - termAt < DRAIN_MS) ready = await httpJson('GET', `${baseUrl}/health/ready`);
    const readyAfterMs = Date.now() - termAt;
    expect(ready.status).toBe(503);
    expect(readyAfterMs).toBeLessThan(300);

    // requests are still served during the drain, each answer closing its connection
    const served: number[] = [];
    while (Date.now() - termAt < DRAIN_MS - 300) {
      const created = await httpJson('POST', `${baseUrl}/tasks`, { title: 'during the drain' }, auth);
      expect(created.status).toBe(201);
      expect(created.headers.connection).toBe('close');
      expect((await httpJson('GET', `${baseUrl}/tasks/${created.body.id}`, undefined, auth)).status).toBe(200);
      expect((await httpJson('GET', `${baseUrl}/health/ready`)).status).toBe(503);
      served.push(Date.now() - termAt);
      await sleep(100);
    }
    expect(served.length).toBeGreaterThan(2);

    const exit = await server.waitForExit(10_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - termAt).toBeGreaterThanOrEqual(DRAIN_MS);
  }, 120_000);

  it('stops the start with one clear line and exit 1 when the metrics port is taken', async () => {
    const blocker: Server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const { server } = await start({ METRICS_PORT: String(port) });
      const exit = await server.waitForExit(START_MS);
      expect(exit.code).toBe(1);
      const lines = server.stderr.split('\n').filter((line) => line.trim() !== '');
      expect(lines).toEqual([`Metrics port ${port} on 127.0.0.1 is already in use: set METRICS_PORT to a free port, or 0 to turn the metrics endpoint off`]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 120_000);
});
