/**
 * The yardstick: the task service's routes with the least work its contract allows, directly on Fastify 5,
 * `pg` (a Pool of 10), `jose` (HS256) and `argon2` (argon2id). Not a product: it never creates tables (it
 * runs on the database the service has migrated) and it has none of the service's extra queries.
 *
 * One round trip per successful request. The token's user is looked up only when a query finds nothing or
 * hits the foreign key, so that a deleted user's token stays 401. Every write is one INSERT/UPDATE/DELETE.
 *
 * Env: DATABASE_URL, JWT_SECRET, PORT (3001), HOST (127.0.0.1), JWT_ISSUER/JWT_AUDIENCE (task-service),
 * JWT_EXPIRES_IN_SECONDS (3600), DATABASE_POOL_MAX (10), REFERENCE_PREPARED (unset; 1: every statement prepared
 * under a name, parsed and planned once per connection, as the service does by default).
 */
import { randomUUID, webcrypto } from 'node:crypto';
import argon2 from 'argon2';
import Fastify, { FastifyReply, FastifyRequest } from 'fastify';
import { jwtVerify, SignJWT } from 'jose';
import { Pool } from 'pg';

const env = process.env;
const secret = new TextEncoder().encode(env.JWT_SECRET ?? '');
if (secret.length < 32 || !env.DATABASE_URL) throw new Error('DATABASE_URL and JWT_SECRET (>= 32 chars) are required');
// imported once: given raw bytes, jose would import a WebCrypto key on every call
const keyPromise = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
let key: webcrypto.CryptoKey;
const ISS = env.JWT_ISSUER ?? 'task-service';
const AUD = env.JWT_AUDIENCE ?? 'task-service';
const TTL = Number(env.JWT_EXPIRES_IN_SECONDS ?? 3600);
const pool = new Pool({ connectionString: env.DATABASE_URL, max: Number(env.DATABASE_POOL_MAX ?? 10), connectionTimeoutMillis: 4000 });
pool.on('error', () => undefined); // an idle client lost: the next query reconnects

const PREPARED = env.REFERENCE_PREPARED === '1';
const names = new Map<string, string>();
/** pool.query, or with REFERENCE_PREPARED=1 the same statement under a name of its own text. */
function sql(text: string, values: unknown[]) {
  if (!PREPARED) return pool.query(text, values);
  let name = names.get(text);
  if (name === undefined) names.set(text, (name = `reference_${names.size}`));
  return pool.query({ name, text, values });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TASK = 'id, title, description, completed, created_at, updated_at, version';
const USER = 'id, email, name, created_at, updated_at';

class Problem extends Error {
  constructor(readonly status: number, readonly detail: string, readonly field?: string) {
    super(detail);
  }
}
const bad = (field: string, message: string) => new Problem(400, `${field}: ${message}`, field);
const len = (s: string) => [...s].length;

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const task = (r: Row) => ({
  id: r.id, title: r.title, description: r.description, completed: r.completed,
  createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(), version: r.version,
});
const user = (r: Row) => ({ id: r.id, email: r.email, name: r.name, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString() });
const etag = (r: Row) => `"${r.version}"`;

/** Called only when a query found nothing: a token whose user is gone is 401, otherwise the caller's 404. */
async function notFound(userId: string): Promise<never> {
  const { rowCount } = await sql('SELECT 1 FROM users WHERE id = $1', [userId]);
  throw rowCount ? new Problem(404, 'No such task') : new Problem(401, 'The token is not valid');
}

/** The body as an object holding only `allowed` keys, each string free of NUL. */
function body(req: FastifyRequest, allowed: string[]): Row {
  const b = req.body as Row;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new Problem(400, 'The body must be a JSON object');
  for (const k of Object.keys(b)) {
    if (!allowed.includes(k)) throw bad(k, 'is not allowed');
    if (typeof b[k] === 'string' && b[k].includes('\0')) throw bad(k, 'must not contain NUL');
  }
  return b;
}

/** Validated task fields, in column order; `partial` for PATCH. */
function taskFields(b: Row, partial: boolean): Row {
  const out: Row = {};
  if ('title' in b || !partial) {
    if (typeof b.title !== 'string') throw bad('title', 'must be a string');
    out.title = b.title.trim();
    if (len(out.title) < 1 || len(out.title) > 200) throw bad('title', 'must be 1..200 characters after trimming');
  }
  if ('description' in b) {
    if (b.description !== null && (typeof b.description !== 'string' || len(b.description) > 10000)) {
      throw bad('description', 'must be null or a string of at most 10000 characters');
    }
    out.description = b.description;
  }
  if ('completed' in b) {
    if (typeof b.completed !== 'boolean') throw bad('completed', 'must be a boolean');
    out.completed = b.completed;
  }
  if (partial && Object.keys(out).length === 0) throw new Problem(400, 'Give at least one of title, description, completed');
  return out;
}

function query(req: FastifyRequest, name: string): string | undefined {
  const v = (req.query as Row)[name];
  if (Array.isArray(v)) throw bad(name, 'must be given once');
  return v;
}

function taskId(req: FastifyRequest): string {
  const id = (req.params as Row).id;
  if (!UUID.test(id)) throw bad('id', 'must be a UUID');
  return id;
}

async function token(sub: string) {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer(ISS).setAudience(AUD)
    .setIssuedAt().setExpirationTime(`${TTL}s`).sign(key);
}
async function session(reply: FastifyReply, status: number, r: Row) {
  return reply.code(status).send({ user: user(r), accessToken: await token(r.id), tokenType: 'Bearer', expiresIn: TTL });
}

function credentials(b: Row) {
  if (typeof b.email !== 'string' || len(b.email) > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(b.email.trim())) throw bad('email', 'must be an e-mail address');
  if (typeof b.password !== 'string' || len(b.password) < 8 || len(b.password) > 128) throw bad('password', 'must be 8..128 characters');
  return { email: b.email.trim().toLowerCase(), password: b.password as string };
}

const app = Fastify({ logger: false, bodyLimit: 100 * 1024 });

app.decorateRequest('userId', '');
declare module 'fastify' {
  interface FastifyRequest {
    userId: string;
  }
}

// authentication before anything else (body parsing and validation come later in Fastify's lifecycle)
async function authenticate(req: FastifyRequest) {
  const h = req.headers.authorization;
  try {
    if (!h || !h.startsWith('Bearer ')) throw new Error();
    const { payload } = await jwtVerify(h.slice(7), key, { algorithms: ['HS256'], issuer: ISS, audience: AUD, requiredClaims: ['exp'], clockTolerance: 5 });
    if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) throw new Error();
    req.userId = payload.sub;
  } catch {
    throw new Problem(401, 'A valid bearer token is required');
  }
}

app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
  let status = err instanceof Problem ? err.status : (err.statusCode ?? 500);
  let detail = err instanceof Problem ? err.detail : status < 500 ? err.message : 'Internal error';
  const code = err.code ?? '';
  const sqlState = /^[0-9A-Z]{5}$/.test(code);
  if (!(err instanceof Problem) && !err.statusCode
    && ((code && !sqlState) || /^(08|53|57)/.test(code) || /timeout exceeded|Connection terminated/i.test(err.message))) {
    status = 503; // no connection, or the database is shutting down
    detail = 'The database is unavailable; retry later';
    reply.header('retry-after', '2');
  } else if (status >= 500) {
    detail = 'Internal error';
  }
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  const p: Row = { type: 'about:blank', title: STATUS[status] ?? 'Error', status, detail };
  if (err instanceof Problem && err.field) p.errors = [{ field: err.field, message: detail }];
  reply.code(status).type('application/problem+json').send(p);
});
const STATUS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 409: 'Conflict', 412: 'Precondition Failed', 413: 'Content Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' };
app.setNotFoundHandler((_req, reply) => { reply.code(404).type('application/problem+json').send({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'No such route' }); });

app.get('/health/live', async () => ({ status: 'ok' }));
app.get('/health/ready', async (_req, reply) => {
  try {
    await pool.query('SELECT 1');
    return { status: 'ok' };
  } catch {
    return reply.code(503).header('retry-after', '2').send({ status: 'error' });
  }
});

app.post('/auth/register', async (req, reply) => {
  const b = body(req, ['email', 'password', 'name']);
  const c = credentials(b);
  if (b.name !== undefined && b.name !== null && (typeof b.name !== 'string' || len(b.name) < 1 || len(b.name) > 100)) throw bad('name', 'must be 1..100 characters');
  const hash = await argon2.hash(c.password, { type: argon2.argon2id });
  const now = new Date();
  try {
    const { rows } = await sql(
      `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING ${USER}`,
      [randomUUID(), c.email, b.name ?? null, hash, now],
    );
    return session(reply, 201, rows[0]);
  } catch (e) {
    if ((e as Row).code === '23505') throw new Problem(409, 'The e-mail address is taken');
    throw e;
  }
});

// brute-force protection: failures per client address and e-mail, in memory (the contract's defaults)
const failures = new Map<string, { n: number; until: number }>();
const DUMMY = argon2.hash('not a password', { type: argon2.argon2id });
app.post('/auth/login', async (req, reply) => {
  const c = credentials(body(req, ['email', 'password']));
  const k = `${req.ip}|${c.email}`;
  const f = failures.get(k);
  if (f && f.until > Date.now() && f.n >= 10) {
    reply.header('retry-after', String(Math.ceil((f.until - Date.now()) / 1000)));
    throw new Problem(429, 'Too many failed logins; retry later');
  }
  const { rows } = await sql(`SELECT ${USER}, password_hash FROM users WHERE email = $1`, [c.email]);
  if (await argon2.verify(rows[0]?.password_hash ?? (await DUMMY), c.password).catch(() => false) && rows[0]) {
    return session(reply, 200, rows[0]);
  }
  const live = f && f.until > Date.now() ? f : { n: 0, until: Date.now() + 15 * 60_000 };
  live.n++;
  failures.set(k, live);
  throw new Problem(401, 'Wrong e-mail or password');
});

app.register(async (tasks) => {
  tasks.addHook('onRequest', authenticate);

  tasks.get('/tasks', async (req) => {
    const limitText = query(req, 'limit');
    const completed = query(req, 'completed');
    const cursor = query(req, 'cursor');
    const limit = limitText === undefined ? 20 : /^\d{1,3}$/.test(limitText) ? Number(limitText) : 0;
    if (limit < 1 || limit > 100) throw bad('limit', 'must be an integer 1..100');
    if (completed !== undefined && completed !== 'true' && completed !== 'false') throw bad('completed', 'must be true or false');
    const params: unknown[] = [req.userId];
    let where = 'user_id = $1';
    if (completed !== undefined) {
      params.push(completed === 'true');
      where += ` AND completed = $${params.length}`;
    }
    if (cursor !== undefined) {
      let c: Row;
      try {
        c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        c = {};
      }
      const at = new Date(typeof c?.c === 'string' ? c.c : NaN);
      if (Number.isNaN(at.getTime()) || typeof c.i !== 'string' || !UUID.test(c.i)) throw bad('cursor', 'is not valid');
      params.push(at, c.i);
      where += ` AND (created_at, id) < ($${params.length - 1}, $${params.length})`;
    }
    // a literal (a checked integer): a prepared `LIMIT $n` would be re-planned on every run on a large table
    const { rows } = await sql(`SELECT ${TASK} FROM tasks WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`, params);
    if (rows.length === 0) {
      const { rowCount } = await sql('SELECT 1 FROM users WHERE id = $1', [req.userId]);
      if (!rowCount) throw new Problem(401, 'The token is not valid');
    }
    const items = rows.slice(0, limit).map(task);
    const last = items[items.length - 1];
    const nextCursor = rows.length > limit ? Buffer.from(JSON.stringify({ c: last.createdAt, i: last.id })).toString('base64url') : null;
    return { items, nextCursor };
  });

  tasks.get('/tasks/:id', async (req, reply) => {
    const id = taskId(req);
    const { rows } = await sql(`SELECT ${TASK} FROM tasks WHERE id = $1 AND user_id = $2`, [id, req.userId]);
    if (!rows[0]) return notFound(req.userId);
    return reply.header('etag', etag(rows[0])).send(task(rows[0]));
  });

  tasks.post('/tasks', async (req, reply) => {
    const f = taskFields(body(req, ['title', 'description', 'completed']), false);
    const now = new Date();
    try {
      const { rows } = await sql(
        `INSERT INTO tasks (id, user_id, title, description, completed, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $6, 1) RETURNING ${TASK}`,
        [randomUUID(), req.userId, f.title, f.description ?? null, f.completed ?? false, now],
      );
      return reply.code(201).header('location', `/tasks/${rows[0].id}`).header('etag', etag(rows[0])).send(task(rows[0]));
    } catch (e) {
      if ((e as Row).code === '23503') throw new Problem(401, 'The token is not valid'); // the user is gone
      throw e;
    }
  });

  tasks.patch('/tasks/:id', async (req, reply) => {
    const id = taskId(req);
    const f = taskFields(body(req, ['title', 'description', 'completed']), true);
    const ifMatch = req.headers['if-match'];
    const params: unknown[] = [id, req.userId, new Date()];
    const sets = Object.keys(f).map((k) => `${k} = $${params.push(f[k])}`);
    let where = 'id = $1 AND user_id = $2';
    if (ifMatch !== undefined && ifMatch.trim() !== '*') {
      const versions = [...ifMatch.matchAll(/(?:W\/)?"(\d{1,9})"/g)].map((m) => Number(m[1]));
      where += ` AND version = ANY($${params.push(versions)}::int[])`;
    }
    const { rows } = await sql(
      `UPDATE tasks SET ${sets.join(', ')}, updated_at = $3, version = version + 1 WHERE ${where} RETURNING ${TASK}`,
      params,
    );
    if (!rows[0]) {
      if (ifMatch !== undefined && ifMatch.trim() !== '*') {
        const { rowCount } = await sql('SELECT 1 FROM tasks WHERE id = $1 AND user_id = $2', [id, req.userId]);
        if (rowCount) throw new Problem(412, 'If-Match does not match the current version');
      }
      return notFound(req.userId);
    }
    return reply.header('etag', etag(rows[0])).send(task(rows[0]));
  });

  tasks.delete('/tasks/:id', async (req, reply) => {
    const id = taskId(req);
    const { rowCount } = await sql('DELETE FROM tasks WHERE id = $1 AND user_id = $2', [id, req.userId]);
    if (!rowCount) return notFound(req.userId);
    return reply.code(204).send();
  });
});

const shutdown = () => { app.close().then(() => pool.end()).finally(() => process.exit(0)); };
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

keyPromise.then((k) => { key = k; }).then(() => app.listen({ port: Number(env.PORT ?? 3001), host: env.HOST ?? '127.0.0.1' })).catch((e) => {
  console.error(e.message);
  process.exit(1);
});
