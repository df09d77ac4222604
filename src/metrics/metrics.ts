import { HttpException } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LoginUnavailableException, RegistrationBusyException } from '../auth/auth.service';
import type { PoolCounts } from '../database/connection-pool';
import { databaseErrorKind } from '../database/database-errors';
import { DATABASE_CHECK, DRAINING_CHECK } from '../health/health.controller';

/** The route label of a request no route matched (404s of unknown paths): never the raw URL. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Why a 503 was answered (the `cause` label of http_unavailable_total). */
export type UnavailableCause = 'database' | 'redis' | 'draining' | 'hashing' | 'other';

/** Seconds; request latencies from sub-millisecond health checks to the 5 s database timeouts. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The service's Prometheus series, in a registry of their own (served by metrics-server.ts on METRICS_PORT,
 * never on the API port). One per process: the HTTP hooks (http-metrics.ts) record into it. Label values are only route templates, methods, status codes and fixed cause names: never
 * an id, an e-mail or a token.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private defaultsCollected = false;

  readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from the arrival of a request to its answer being sent, by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly inFlight = new Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests received and not yet answered',
    registers: [this.registry],
  });

  readonly unavailable = new Counter({
    name: 'http_unavailable_total',
    help: '503 answers by cause: database, redis (the login limit store), draining (readiness while shutting down), hashing (registrations refused while password hashing is saturated), other',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });

  readonly loginsRefused = new Counter({
    name: 'auth_login_refused_total',
    help: 'Logins refused by the failed-login limit (429 answers of POST /auth/login)',
    registers: [this.registry],
  });

  readonly poolMax = new Gauge({
    name: 'db_pool_max_connections',
    help: 'The most database connections this process opens (DATABASE_POOL_MAX)',
    registers: [this.registry],
  });

  readonly poolMin = new Gauge({
    name: 'db_pool_min_connections',
    help: 'The database connections this process keeps open when idle (DATABASE_POOL_MIN)',
    registers: [this.registry],
  });

  /** The pool whose counts the gauges read; unset (no app yet) they stay at zero. */
  private pool?: PoolCounts;

  readonly poolConnections = new Gauge({
    name: 'db_pool_connections',
    help: 'Database connections open in this process\'s pool, by state: used (checked out) or idle',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () => {
      const counts = this.pool;
      this.poolConnections.set({ state: 'used' }, counts ? counts.totalCount - counts.idleCount : 0);
      this.poolConnections.set({ state: 'idle' }, counts?.idleCount ?? 0);
    },
  });

  readonly poolWaiting = new Gauge({
    name: 'db_pool_waiting_requests',
    help: 'Queries waiting for a pooled database connection (the pool is at DATABASE_POOL_MAX)',
    registers: [this.registry],
    collect: () => {
      this.poolWaiting.set(this.pool?.waitingCount ?? 0);
    },
  });

  /** The pool whose counts the gauges show (the app's, from MikroORM's public getNativeClient()). */
  observePool(pool: PoolCounts): void {
    this.pool = pool;
  }

  /** The process and Node runtime series (CPU, memory, event loop lag, GC, handles); once per registry. */
  collectDefaults(): void {
    if (this.defaultsCollected) return;
    this.defaultsCollected = true;
    collectDefaultMetrics({ register: this.registry });
  }

  setPoolLimits(min: number, max: number): void {
    this.poolMin.set(min);
    this.poolMax.set(max);
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

/** This process's metrics. */
export const serviceMetrics = new ServiceMetrics();

/**
 * Called for every answer (http-metrics.ts): counts the 503s by the cause the answered error names: the
 * readiness check's failing indicator (draining or database), a database error, the login's own 503 while its
 * failed-login store (Redis) cannot be reached, or a registration's while password hashing is saturated.
 */
export function countUnavailable(status: number, error: unknown, metrics: ServiceMetrics = serviceMetrics): void {
  if (status !== 503) return;
  metrics.unavailable.inc({ cause: unavailableCause(error) });
}

export function unavailableCause(error: unknown): UnavailableCause {
  if (error instanceof HttpException) {
    // @nestjs/terminus answers a failed check with its HealthCheckResult: { status, info, error: { <key>: ... } }
    const failed = healthCheckFailures(error.getResponse());
    if (failed.includes(DRAINING_CHECK)) return 'draining';
    if (failed.includes(DATABASE_CHECK)) return 'database';
  }
  if (databaseErrorKind(error) === 'unavailable') return 'database';
  if (error instanceof LoginUnavailableException) return 'redis';
  if (error instanceof RegistrationBusyException) return 'hashing';
  return 'other';
}

function healthCheckFailures(response: unknown): string[] {
  if (typeof response !== 'object' || response === null || !('error' in response)) return [];
  const failures = response.error;
  return typeof failures === 'object' && failures !== null ? Object.keys(failures) : [];
}
