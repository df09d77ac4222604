import { randomUUID } from 'node:crypto';
import { request, type HttpResult } from '../../support/http-client';
import type { ApiTask } from '../../support/tasks';
import { sleep } from '../../support/wait';

export { request, type HttpResult, type RequestOptions } from '../../support/http-client';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
}

/** Registers a fresh user (retrying through 503s: the database may be recovering). */
export async function registerUser(baseUrl: string, label = 'user', timeoutMs = 30_000): Promise<TestUser> {
  const email = `${label}-${randomUUID().slice(0, 12)}@faults.test`;
  const password = 'correct horse battery';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(baseUrl, 'POST', '/auth/register', { body: { email, password, name: label }, timeoutMs: 10_000 });
    if (res.status === 201) return { id: res.body.user.id, email, password, token: res.body.accessToken };
    if (Date.now() > deadline || (res.status !== 503 && res.status !== 0)) {
      throw new Error(`register ${email}: ${res.status} ${res.error ?? ''} ${res.text.slice(0, 500)}`);
    }
    await sleep(250);
  }
}

/** Every task of a user, following nextCursor to the end. */
export async function listAllTasks(baseUrl: string, token: string): Promise<ApiTask[]> {
  const items: ApiTask[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const path: string = `/tasks?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await request(baseUrl, 'GET', path, { token, timeoutMs: 15_000 });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.error ?? ''} ${res.text.slice(0, 300)}`);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (!cursor) return items;
  }
  throw new Error('listAllTasks: too many pages');
}

/** The fault contract for one answer: 2xx/expected, or 503 with Retry-After; never a 500, never a hang. */
export function describeResult(r: HttpResult): string {
  return `${r.status || r.error} in ${r.ms} ms${r.status >= 500 ? ` retry-after=${r.headers['retry-after'] ?? '-'} ${r.text.slice(0, 200)}` : ''}`;
}

export function isRetryable503(r: HttpResult): boolean {
  const value = r.headers['retry-after'];
  if (r.status !== 503 || value === undefined) return false;
  const text = String(value).trim();
  return /^\d+$/.test(text) || !Number.isNaN(Date.parse(text)); // delay-seconds or an HTTP-date
}

/** Counts of statuses (0 shown as the error code). */
export function tally(results: HttpResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const key = r.status ? String(r.status) : `net:${r.error}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
