import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigurationError } from '../config/app-config';
import type { ServiceMetrics } from './metrics';

/** The port is taken: start-up stops with this one line (a ConfigurationError: main.ts prints its message alone). */
export class MetricsPortInUseError extends ConfigurationError {}

/**
 * The Prometheus endpoint: GET /metrics on a port of its own (METRICS_PORT), a plain node:http server apart
 * from the API's Fastify instance, so that the API port never serves it. Port 0 here means "any free port"
 * (tests); main.ts does not call this at all when METRICS_PORT is 0.
 */
export async function startMetricsServer(metrics: ServiceMetrics, port: number, host: string): Promise<Server> {
  metrics.collectDefaults();
  const server = createServer((request, response) => {
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
      reject(
        error.code === 'EADDRINUSE'
          ? new MetricsPortInUseError(`Metrics port ${port} on ${host} is already in use: set METRICS_PORT to a free port, or 0 to turn the metrics endpoint off`)
          : error,
      );
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

export function metricsPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}
