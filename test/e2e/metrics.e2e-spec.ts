/**
 * Metrics: the Prometheus series move when requests are made, carry route templates (never raw URLs),
 * and no label value holds an id, an e-mail or a token. The endpoint is served by its own server, never on the API.
 */
import type { Server } from 'node:http';
import { connect } from 'node:net';
import request from 'supertest';
import { Lifecycle } from '../../src/health/lifecycle';
import { serviceMetrics } from '../../src/metrics/metrics';
import { startMetricsServer } from '../../src/metrics/metrics-server';
import { MikroORM } from '@mikro-orm/core';
import { listen } from '../support/http-client';
import { createTestApp, registerUser, useTestApp, type TestApp } from '../support/test-app';
import { sleep } from '../support/wait';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus' text format, as far as these series need it. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe('metrics', () => {
  const t = useTestApp();
  let metricsServer: Server;
  const scrape = async () => parse((await request(metricsServer).get('/metrics').expect(200).expect('Content-Type', /text\/plain/)).text);

  beforeAll(async () => {
    metricsServer = await startMetricsServer(serviceMetrics, 0, '127.0.0.1');
  });
  afterAll(() => new Promise<void>((resolve) => metricsServer.close(() => resolve())));

  it('counts requests by route template, method and status, with latencies, and never puts ids, e-mails or tokens in labels', async () => {
    const before = await scrape();
    const user = await registerUser(t.http);
    const created = await request(t.http).post('/tasks').set(user.auth).send({ title: 'metered' }).expect(201);
    const id = created.body.id as string;
    await request(t.http).get(`/tasks/${id}`).set(user.auth).expect(200);
    await request(t.http).get(`/tasks/${id}`).set(user.auth).expect(200);
    await request(t.http).get(`/tasks/${id}?x=1`).set(user.auth).expect(200);
    await request(t.http).get(`/no-such-route/${id}`).expect(404);
    await request(t.http).post('/auth/login').send({ email: user.email, password: 'wrong password!' }).expect(401);
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    expect(delta('http_requests_total', { route: '/tasks/:id', method: 'GET', status: '200' })).toBe(3);
    expect(delta('http_requests_total', { route: '/tasks', method: 'POST', status: '201' })).toBe(1);
    expect(delta('http_requests_total', { route: '/auth/register', method: 'POST', status: '201' })).toBe(1);
    expect(delta('http_requests_total', { route: '/auth/login', method: 'POST', status: '401' })).toBe(1);
    expect(delta('http_requests_total', { route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    expect(delta('http_request_duration_seconds_count', { route: '/tasks/:id', method: 'GET', status: '200' })).toBe(3);
    expect(delta('http_request_duration_seconds_sum', { route: '/tasks/:id', method: 'GET', status: '200' })).toBeGreaterThan(0);
    expect(value(after, 'http_request_duration_seconds_bucket', { route: '/tasks/:id', method: 'GET', status: '200', le: '+Inf' })).toBe(
      value(after, 'http_request_duration_seconds_count', { route: '/tasks/:id', method: 'GET', status: '200' }),
    );
    // the scrapes themselves are not API requests: nothing in flight between requests
    expect(value(after, 'http_requests_in_flight')).toBe(0);

    const labelValues = after.flatMap((s) => Object.values(s.labels));
    expect(labelValues.filter((v) => UUID.test(v) || v.includes('@') || v.includes(user.token) || v.includes('?'))).toEqual([]);
    expect(new Set(after.filter((s) => s.name === 'http_requests_total').map((s) => s.labels.route))).not.toContain(`/tasks/${id}`);
  });

  it('shows a request in flight while it is served', async () => {
    const user = await registerUser(t.http);
    const port = Number(new URL(await listen(t.http)).port);
    // a request whose body never finishes arriving stays in flight until its client gives up
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`POST /tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${user.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"title":`);
    await sleep(300);
    expect(value(await scrape(), 'http_requests_in_flight')).toBe(1);
    socket.destroy();
    await sleep(300);
    expect(value(await scrape(), 'http_requests_in_flight')).toBe(0);
  });

  it('exposes the pool bounds, the refused logins and 503 causes, and the process and Node defaults', async () => {
    const samples = await scrape();
    expect(value(samples, 'db_pool_max_connections')).toBe(t.config.database.poolMax);
    expect(value(samples, 'db_pool_min_connections')).toBe(t.config.database.poolMin);
    expect(samples.some((s) => s.name === 'auth_login_refused_total')).toBe(true);
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    expect(samples.some((s) => s.name === 'nodejs_heap_size_used_bytes')).toBe(true);
  });

  it('counts logins refused by the failed-login limit', async () => {
    const user = await registerUser(t.http);
    const before = value(await scrape(), 'auth_login_refused_total');
    let refused = 0;
    for (let i = 0; i < t.config.login.maxFailures + 2; i++) {
      const res = await request(t.http).post('/auth/login').send({ email: user.email, password: `wrong password ${i}` });
      if (res.status === 429) refused++;
    }
    expect(refused).toBeGreaterThan(0);
    expect(value(await scrape(), 'auth_login_refused_total') - before).toBe(refused);
  });

  it('while draining: readiness is 503 at once (counted with cause "draining") and the API still serves', async () => {
    const user = await registerUser(t.http);
    await request(t.http).get('/health/ready').expect(200);
    const before = value(await scrape(), 'http_unavailable_total', { cause: 'draining' });
    t.app.get(Lifecycle).startDraining();
    await request(t.http).get('/health/ready').expect(503);
    await request(t.http).get('/health/live').expect(200);
    const served = await request(t.http).post('/tasks').set(user.auth).send({ title: 'still served' }).expect(201);
    // and tells its client to close the connection, so keep-alives end with the process
    expect(served.headers.connection).toBe('close');
    const after = await scrape();
    expect(value(after, 'http_unavailable_total', { cause: 'draining' }) - before).toBe(1);
    expect(value(after, 'http_requests_total', { route: '/health/ready', method: 'GET', status: '503' })).toBeGreaterThanOrEqual(1);
  });

  it('is not served on the API port', async () => {
    await request(t.http).get('/metrics').expect(404);
  });
});

describe('pool gauges', () => {
  let t: TestApp;
  let metricsServer: Server;
  const scrape = async () => parse((await request(metricsServer).get('/metrics').expect(200)).text);

  beforeAll(async () => {
    // one connection, and a wait for it longer than the test holds it
    t = await createTestApp({ DATABASE_POOL_MIN: '0', DATABASE_POOL_MAX: '1', DATABASE_ACQUIRE_TIMEOUT_MS: '20000' });
    metricsServer = await startMetricsServer(serviceMetrics, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
    await t.close();
  });

  it('show the connection in use, then a request waiting for one, then none waiting once it is free', async () => {
    const user = await registerUser(t.http);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const transaction = t.app.get(MikroORM).em.fork().transactional(async () => {
      holding();
      await released;
    });
    await held;
    const waiting = request(t.http).get('/tasks').set(user.auth).then((res) => res.status);
    let samples = await scrape();
    for (let i = 0; i < 50 && value(samples, 'db_pool_waiting_requests') === 0; i++) {
      await sleep(50);
      samples = await scrape();
    }
    expect(value(samples, 'db_pool_waiting_requests')).toBeGreaterThan(0);
    expect(value(samples, 'db_pool_connections', { state: 'used' })).toBe(1);
    release();
    await transaction;
    expect(await waiting).toBe(200);
    samples = await scrape();
    expect(value(samples, 'db_pool_waiting_requests')).toBe(0);
    expect(value(samples, 'db_pool_connections', { state: 'used' })).toBe(0);
    expect(value(samples, 'db_pool_connections', { state: 'idle' })).toBe(1);
  });
});
