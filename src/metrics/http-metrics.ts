import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config';
import { connectionPool } from '../database/connection-pool';
import { answeredError } from '../errors/answered-error';
import { countUnavailable, serviceMetrics, UNMATCHED_ROUTE, type ServiceMetrics } from './metrics';

const LOGIN_ROUTE = '/auth/login';

/** The route as declared (`/tasks/:id`), never the URL as sent; requests no route matched share one label. */
export function routeLabel(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED_ROUTE;
}

/**
 * Fastify hooks that count every answered request (http_requests_total, http_request_duration_seconds by
 * route template, method and status), the requests in flight, the logins refused by the failed-login
 * limit (429 on POST /auth/login), and the 503s by cause (from the error the exception filter answered).
 */
export function recordHttpMetrics(fastify: FastifyInstance, metrics: ServiceMetrics = serviceMetrics): void {
  const counted = new WeakSet<FastifyRequest>();
  fastify.addHook('onRequest', (request, _reply, done) => {
    counted.add(request);
    metrics.inFlight.inc();
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    if (counted.delete(request)) {
      metrics.inFlight.dec();
      const route = routeLabel(request);
      const labels = { route, method: request.method, status: String(reply.statusCode) };
      metrics.requests.inc(labels);
      metrics.duration.observe(labels, reply.elapsedTime / 1000);
      if (reply.statusCode === 429 && request.method === 'POST' && route.toLowerCase() === LOGIN_ROUTE) metrics.loginsRefused.inc();
      countUnavailable(reply.statusCode, answeredError(request), metrics);
    }
    done();
  });
  // a client that went away before its answer: no longer in flight, and not counted as answered
  fastify.addHook('onRequestAbort', (request, done) => {
    if (counted.delete(request)) metrics.inFlight.dec();
    done();
  });
}

/** What configure-app.ts applies: the HTTP hooks, and the pool's configured bounds from the app's AppConfig. */
export function instrumentApp(app: NestFastifyApplication, metrics: ServiceMetrics = serviceMetrics): void {
  recordHttpMetrics(app.getHttpAdapter().getInstance(), metrics);
  const { poolMin, poolMax } = app.get(AppConfig).database;
  metrics.setPoolLimits(poolMin, poolMax);
  void connectionPool(app.get(MikroORM)).then((pool) => metrics.observePool(pool));
}
