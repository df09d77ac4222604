// first: refuses an unsupported Node.js before any dependency loads
import './runtime/require-supported-node';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';
import { AppModule } from './app.module';
import { AppConfig, ConfigurationError, loadConfig } from './config/app-config';
import { useKeptDevJwtSecret } from './config/dev-jwt-secret';
import { EmbeddedPostgres, EmbeddedPostgresError } from './database/embedded';
import { redactUrl } from './database/connection-options';
import { DatabaseUnavailableError } from './database/wait-for-database';
import { configureApp } from './http/configure-app';
import { createHttpAdapter } from './http/http-adapter';
import { PinoNestLogger } from './logging/logger';
import { Lifecycle } from './health/lifecycle';
import { serviceMetrics } from './metrics/metrics';
import { ensurePortFree } from './runtime/ensure-port-free';
import { metricsLocation, startMetricsServer } from './metrics/metrics-server';

/** Errors whose message is the whole story: printed as one line, no stack. */
const EXPECTED_STARTUP_ERRORS = [ConfigurationError, DatabaseUnavailableError, EmbeddedPostgresError];

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  // before anything else starts: a second instance on a taken PORT must not touch the first one's embedded database
  await ensurePortFree(config.port, config.host);
  useKeptDevJwtSecret(config, (line) => console.log(line));
  // first: a metrics port already taken, or a METRICS_HOST not of this machine, stops the start at once, with one line
  if (config.metricsPort !== 0) await startMetricsServer(serviceMetrics, config.metricsPort, config.metricsHost);
  let embedded: EmbeddedPostgres | undefined;
  if (!config.database.url) {
    embedded = await EmbeddedPostgres.start({ dataDir: config.embedded.dir, port: config.embedded.port, log: (m) => console.log(m) });
    config.database.url = embedded.url;
  }
  let app: NestFastifyApplication;
  try {
    app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createHttpAdapter(config), { bodyParser: false, bufferLogs: true, abortOnError: false });
    app.useLogger(app.get(PinoNestLogger));
    // from here on, log as it happens: what start-up says (waiting for the database, migrations) must be seen
    // while it waits, and must not be lost when start-up fails (Nest would hold it until listen() succeeds)
    app.flushLogs();
    configureApp(app);
    // before listening: once /health/ready can answer, a process manager's SIGTERM must find the handler
    handleShutdown(app, config, embedded);
    await app.listen(config.port, config.host);
  } catch (error) {
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
  if (config.metricsPort !== 0) console.log(`Metrics on ${metricsLocation(config.metricsHost, config.metricsPort)}`);
  // last, after every log line of the start: where the data lives, then where to go
  if (embedded) console.log(`Embedded PostgreSQL data: ${embedded.dataDir}`);
  else console.log(`Database: ${redactUrl(config.database.url!)}`);
  console.log(`Task service listening on ${base} (API docs: ${base}/docs)`);
}

/**
 * SIGTERM: /health/ready turns 503 at once and the API keeps serving for SHUTDOWN_DRAIN_DELAY_MS, so that a
 * load balancer takes the instance out of rotation before it stops listening (answers say Connection: close
 * from the signal on). Then, as for SIGINT (Ctrl-C: no drain): stop accepting, let in-flight requests finish,
 * close idle keep-alive connections, run Nest's shutdown hooks (app.close(): the ORM, Redis), stop the embedded
 * database, exit 0. SHUTDOWN_TIMEOUT_MS (counted from the signal, drain included) bounds it all. The drain runs
 * before app.close(), not in a Nest hook: Nest calls onModuleDestroy before any shutdown hook, and the API must
 * still have everything it uses while it drains.
 */
function handleShutdown(app: NestFastifyApplication, config: AppConfig, embedded: EmbeddedPostgres | undefined): void {
  const server = app.getHttpServer() as Server;
  const lifecycle = app.get(Lifecycle);
  const shutdown = async (signal: string) => {
    if (lifecycle.draining) return;
    lifecycle.startDraining();
    const force = setTimeout(() => {
      console.error(`Shutdown took longer than ${config.shutdownTimeoutMs} ms; closing the remaining connections`);
      server.closeAllConnections();
    }, config.shutdownTimeoutMs).unref();
    // no drain for Ctrl-C, nor before the server listens (no balancer can be sending anything yet)
    const drainMs = signal === 'SIGTERM' && server.listening ? config.shutdownDrainDelayMs : 0;
    if (drainMs > 0) {
      console.log(`${signal} received: not ready; serving for ${drainMs} ms more before closing`);
      await new Promise((resolve) => setTimeout(resolve, drainMs));
    }
    console.log(`${signal} received: finishing in-flight requests`);
    const idle = setInterval(() => server.closeIdleConnections(), 100).unref();
    let code = 0;
    try {
      await app.close();
    } catch (error) {
      console.error('Error while closing the application:', error);
      code = 1;
    }
    clearInterval(idle);
    clearTimeout(force);
    await embedded?.stop().catch((error: unknown) => {
      console.error('Error while stopping the embedded PostgreSQL:', error);
      code = 1;
    });
    console.log('Task service stopped');
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

// a rejection nobody awaited is logged (a client's or the database's behaviour must not take the process down);
// an uncaught exception leaves the process in a state nobody designed: log it and end, a supervisor restarts it
process.on('unhandledRejection', (reason) => console.error('Unhandled rejection:', reason));
process.on('uncaughtException', (error) => {
  console.error('Uncaught exception, exiting:', error);
  process.exit(1);
});

bootstrap().catch((error: unknown) => {
  const expected = EXPECTED_STARTUP_ERRORS.some((type) => error instanceof type);
  console.error(expected ? (error as Error).message : error);
  process.exit(1);
});
