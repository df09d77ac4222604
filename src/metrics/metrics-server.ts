import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigurationError } from '../config/app-config';
import type { ServiceMetrics } from './metrics';

/** The port is taken: start-up stops with this one line (a ConfigurationError: main.ts prints its message alone). */
export class MetricsPortInUseError extends ConfigurationError {}

/** METRICS_HOST names no address of this machine: start-up stops with this one line. */
export class MetricsHostUnavailableError extends ConfigurationError {}

/**
 * The Prometheus endpoint: GET /metrics on a port of its own (METRICS_PORT), a plain node:http server apart
 * from the API's Fastify instance, so that the API port never serves it. It has no authentication: main.ts
 * binds it to METRICS_HOST, loopback unless set. Port 0 here means "any free port" (tests); main.ts does not
 * call this at all when METRICS_PORT is 0.
 */
export async function startMetricsServer(metrics: ServiceMetrics, port: number, host: string): Promise<Server> {
  metrics.collectDefaults();
  const server = createServer((request, response) => {
    response.setHeader('X-Content-Type-Options', 'nosniff'); // as every answer of the API's port
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: the metrics are at GET /metrics\n');
      return;
    }
    metrics.metrics().then(
      (text) => response.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      () => response.writeHead(500, { 'Content-Type': 'text/plain' }).end('The metrics could not be collected\n'),
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new MetricsPortInUseError(`Metrics port ${port} on ${host} is already in use: set METRICS_PORT to a free port, or 0 to turn the metrics endpoint off`));
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') {
        reject(new MetricsHostUnavailableError(`Metrics host ${host} is not an address of this machine: set METRICS_HOST to one (127.0.0.1 by default, 0.0.0.0 for every interface)`));
      } else {
        reject(error);
      }
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.unref(); // the API server decides when the process ends
  return server;
}

/** Where the endpoint listens, for the start-up line: the bound address itself, which says who can reach it. */
export function metricsLocation(host: string, port: number): string {
  const everyInterface = host === '0.0.0.0' || host === '::';
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics${everyInterface ? ' (every interface)' : ''}`;
}

export function metricsPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}
