/**
 * The metrics endpoint has no authentication: it listens on METRICS_HOST, loopback unless set, whatever HOST
 * the API listens on.
 */
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { loadConfig } from '../config/app-config';
import { ServiceMetrics } from './metrics';
import { MetricsHostUnavailableError, metricsLocation, metricsPort, startMetricsServer } from './metrics-server';

/** 'open' when a TCP connection to host:port is accepted, else the error code (ECONNREFUSED). */
function probe(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve('open');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('METRICS_HOST', () => {
  it('is 127.0.0.1 unless set, whatever HOST is', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).metricsHost).toBe('127.0.0.1');
    expect(loadConfig({ NODE_ENV: 'test', HOST: '0.0.0.0' }).metricsHost).toBe('127.0.0.1');
    expect(loadConfig({ NODE_ENV: 'test', METRICS_HOST: '0.0.0.0' }).metricsHost).toBe('0.0.0.0');
    expect(loadConfig({ NODE_ENV: 'test', METRICS_HOST: '::1' }).metricsHost).toBe('::1');
  });

  it.each(['', 'http://10.0.0.1', 'two words'])('refuses %j, naming the variable', (value) => {
    expect(() => loadConfig({ NODE_ENV: 'test', METRICS_HOST: value })).toThrow('METRICS_HOST');
  });

  it('bound to 127.0.0.1, the endpoint answers there and not on another address of the machine', async () => {
    const server = await startMetricsServer(new ServiceMetrics(), 0, '127.0.0.1');
    try {
      const port = metricsPort(server);
      expect(await probe('127.0.0.1', port)).toBe('open');
      // every 127.0.0.0/8 address is this machine's: one bound to all interfaces would answer on 127.0.0.2 too
      expect(await probe('127.0.0.2', port)).toBe('ECONNREFUSED');
    } finally {
      await close(server);
    }
  });

  it('bound to another address, answers there only', async () => {
    const server = await startMetricsServer(new ServiceMetrics(), 0, '127.0.0.2');
    try {
      const port = metricsPort(server);
      expect(await probe('127.0.0.2', port)).toBe('open');
      expect(await probe('127.0.0.1', port)).toBe('ECONNREFUSED');
    } finally {
      await close(server);
    }
  });

  it('an address that is not of this machine stops the start with one line naming METRICS_HOST', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned, so binding it fails without any traffic
    const start = startMetricsServer(new ServiceMetrics(), 0, '192.0.2.1');
    await expect(start).rejects.toThrow(MetricsHostUnavailableError);
    await expect(start).rejects.toThrow('Metrics host 192.0.2.1 is not an address of this machine: set METRICS_HOST');
  });

  it('the start-up line names the bound address (IPv6 in brackets), and says when it is every interface', () => {
    expect(metricsLocation('127.0.0.1', 9464)).toBe('http://127.0.0.1:9464/metrics');
    expect(metricsLocation('::1', 9464)).toBe('http://[::1]:9464/metrics');
    expect(metricsLocation('0.0.0.0', 9464)).toBe('http://0.0.0.0:9464/metrics (every interface)');
    expect(metricsLocation('::', 9464)).toBe('http://[::]:9464/metrics (every interface)');
  });
});
