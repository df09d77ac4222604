import http from 'node:http';
import { randomUUID } from 'node:crypto';

export interface HttpResult {
  status: number; // 0: no HTTP answer (see error)
  headers: http.IncomingHttpHeaders;
  /** the parsed JSON answer (or its text): whatever the route answers, read field by field by the tests */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
  ms: number;
  error?: string;
  startedAt: number;
  endedAt: number;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  /** the client gives up after this long (status 0, error 'client-timeout'): how a hang shows */
  timeoutMs?: number;
  agent?: http.Agent;
  /** called once the request has been written to the socket */
  onSent?: () => void;
}

/** A plain HTTP request that never throws: network errors and client time-outs come back as status 0. */
export function request(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<HttpResult> {
  const url = new URL(path, baseUrl);
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const startedAt = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<HttpResult, 'ms' | 'startedAt' | 'endedAt'>) => {
      if (settled) return;
      settled = true;
      const endedAt = Date.now();
      resolve({ ...result, ms: endedAt - startedAt, startedAt, endedAt });
    };
    const req = http.request(
      url,
      { method, headers, agent: options.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => finish({ status: 0, headers: {}, body: undefined, text: '', error: (e as NodeJS.ErrnoException).code ?? e.message }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON */
          }
          finish({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      },
    );
    if (options.timeoutMs) {
      req.setTimeout(options.timeoutMs, () => {
        finish({ status: 0, headers: {}, body: undefined, text: '', error: 'client-timeout' });
        req.destroy();
      });
    }
    req.on('error', (e) => finish({ status: 0, headers: {}, body: undefined, text: '', error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(payload, () => options.onSent?.());
  });
}

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
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface TaskJson {
  id: string;
  title: string;
  description: string | null;
  completed: boolean;
  createdAt: string;
  updatedAt: string;
}

/** Every task of a user, following nextCursor to the end. */
export async function listAllTasks(baseUrl: string, token: string): Promise<TaskJson[]> {
  const items: TaskJson[] = [];
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
