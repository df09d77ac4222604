import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { version as PACKAGE_VERSION } from '../../package.json';
import { createTestApp, TestApp } from '../support/test-app';

// generating and compiling a client takes a while on a busy machine
jest.setTimeout(180_000);

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'node_modules/.bin');

/* eslint-disable @typescript-eslint/no-explicit-any -- the document is walked as plain JSON */
type Json = Record<string, any>;

const OPERATIONS: { method: string; path: string; success: string; body?: string; response?: string; errors: string[]; bearer: boolean }[] = [
  { method: 'post', path: '/auth/register', success: '201', body: 'RegisterDto', response: 'AuthResponseDto', errors: ['400', '409', '415', '429', '503'], bearer: false },
  { method: 'post', path: '/auth/login', success: '200', body: 'LoginDto', response: 'AuthResponseDto', errors: ['400', '401', '415', '429', '503'], bearer: false },
  { method: 'get', path: '/users/me', success: '200', response: 'UserDto', errors: ['401'], bearer: true },
  { method: 'patch', path: '/users/me', success: '200', body: 'UpdateUserDto', response: 'UserDto', errors: ['400', '401', '415'], bearer: true },
  { method: 'delete', path: '/users/me', success: '204', errors: ['401'], bearer: true },
  { method: 'post', path: '/tasks', success: '201', body: 'CreateTaskDto', response: 'TaskDto', errors: ['400', '401', '415'], bearer: true },
  { method: 'get', path: '/tasks', success: '200', response: 'TaskPageDto', errors: ['400', '401'], bearer: true },
  { method: 'get', path: '/tasks/{id}', success: '200', response: 'TaskDto', errors: ['400', '401', '404', '412'], bearer: true },
  { method: 'patch', path: '/tasks/{id}', success: '200', body: 'UpdateTaskDto', response: 'TaskDto', errors: ['400', '401', '404', '412', '415'], bearer: true },
  { method: 'delete', path: '/tasks/{id}', success: '204', errors: ['400', '401', '404', '412'], bearer: true },
  { method: 'get', path: '/health/live', success: '200', errors: [], bearer: false },
  { method: 'get', path: '/health/ready', success: '200', errors: ['503'], bearer: false },
];

const ref = (schema: string) => ({ $ref: `#/components/schemas/${schema}` });

describe('OpenAPI document (/docs-json) and Swagger UI (/docs)', () => {
  let t: TestApp;
  let doc: Json;

  beforeAll(async () => {
    t = await createTestApp();
    const res = await request(t.http).get('/docs-json').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.body;
  });
  afterAll(async () => {
    await t.close();
  });

  it('is OpenAPI 3 with exactly the contract’s operations', () => {
    expect(doc.openapi).toMatch(/^3\./);
    const listed = Object.entries(doc.paths as Json).flatMap(([p, item]) => Object.keys(item as Json).map((m) => `${m.toUpperCase()} ${p}`));
    expect(listed.sort()).toEqual(OPERATIONS.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort());
  });

  it('has no servers entry with an absolute URL (Swagger UI calls its own origin)', () => {
    expect(doc.servers ?? []).toEqual([]);
  });

  describe.each(OPERATIONS)('$method $path', (op) => {
    const operation = (): Json => doc.paths[op.path][op.method];

    it('documents its request body and its success response with schemas', () => {
      if (op.body) {
        expect(operation().requestBody.required).toBe(true);
        expect(operation().requestBody.content['application/json'].schema).toEqual(ref(op.body));
      } else {
        expect(operation().requestBody).toBeUndefined();
      }
      const success = operation().responses[op.success];
      expect(success).toBeDefined();
      if (op.response) expect(success.content['application/json'].schema).toEqual(ref(op.response));
      if (op.success === '204') expect(success.content).toBeUndefined();
      if (op.path.startsWith('/health')) expect(success.content['application/json'].schema.type).toBe('object');
    });

    it('documents its errors as problem+json', () => {
      for (const status of op.errors) {
        const response = operation().responses[status];
        expect({ status, documented: response !== undefined }).toEqual({ status, documented: true });
        // the readiness 503 is the health library's own JSON; every other error is problem+json
        if (op.path === '/health/ready') continue;
        expect(Object.keys(response.content)).toEqual(['application/problem+json']);
        expect(response.content['application/problem+json'].schema).toEqual(ref('ProblemDto'));
      }
    });

    it(op.bearer ? 'requires the bearer scheme' : 'clears security (security: [])', () => {
      expect(operation().security).toEqual(op.bearer ? [{ bearer: [] }] : []);
    });
  });

  it('declares the bearer scheme as HTTP bearer JWT', () => {
    expect(doc.components.securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } });
  });

  it('documents Retry-After on the login 429', () => {
    expect(doc.paths['/auth/login'].post.responses['429'].headers['Retry-After'].schema.type).toBe('integer');
  });

  it.each(['429', '503'])('documents Retry-After on the register %s', (status) => {
    expect(doc.paths['/auth/register'].post.responses[status].headers['Retry-After'].schema.type).toBe('integer');
  });

  it('documents 304 Not Modified, with the ETag and no body, on GET /tasks/{id}', () => {
    const notModified = doc.paths['/tasks/{id}'].get.responses['304'];
    expect(notModified).toBeDefined();
    expect(notModified.content).toBeUndefined();
    expect(notModified.headers.ETag.schema.type).toBe('string');
  });

  it.each(['get', 'patch', 'delete'])('documents If-Match and If-None-Match as optional headers of %s /tasks/{id}', (method) => {
    const headers = (doc.paths['/tasks/{id}'][method].parameters as Json[]).filter((p) => p.in === 'header');
    expect(headers.map((p) => p.name).sort()).toEqual(['If-Match', 'If-None-Match']);
    for (const header of headers) {
      expect({ name: header.name, required: header.required ?? false }).toEqual({ name: header.name, required: false });
      expect(header.description).toEqual(expect.any(String));
    }
  });

  it('documents the GET /tasks query parameters as optional and without examples Swagger UI would pre-fill', () => {
    const params = (doc.paths['/tasks'].get.parameters as Json[]).filter((p) => p.in === 'query');
    expect(params.map((p) => p.name).sort()).toEqual(['completed', 'cursor', 'limit']);
    for (const param of params) {
      expect({ name: param.name, required: param.required ?? false }).toEqual({ name: param.name, required: false });
      expect(param).not.toHaveProperty('example');
      expect(param).not.toHaveProperty('examples');
      expect(param.schema).not.toHaveProperty('example');
      expect(param.schema).not.toHaveProperty('examples');
    }
    const byName = Object.fromEntries(params.map((p) => [p.name, p.schema]));
    expect(byName.completed.type).toBe('boolean');
    expect(byName.limit).toEqual(expect.objectContaining({ type: 'integer', minimum: 1, maximum: 100 }));
    expect(byName.cursor.type).toBe('string');
  });

  it('types nextCursor as a nullable string (not an object)', () => {
    const page = doc.components.schemas.TaskPageDto;
    expect(page.properties.nextCursor).toEqual(expect.objectContaining({ type: 'string', nullable: true }));
    expect(page.required).toEqual(expect.arrayContaining(['items', 'nextCursor']));
    expect(page.properties.items).toEqual({ type: 'array', items: ref('TaskDto') });
  });

  it('describes the User and Task representations exactly, never with a password', () => {
    const { UserDto, TaskDto, AuthResponseDto, ProblemDto } = doc.components.schemas;
    expect(Object.keys(UserDto.properties).sort()).toEqual(['createdAt', 'email', 'id', 'name', 'updatedAt']);
    expect(UserDto.required.sort()).toEqual(['createdAt', 'email', 'id', 'name', 'updatedAt']);
    expect(UserDto.properties.name).toEqual(expect.objectContaining({ type: 'string', nullable: true }));
    expect(Object.keys(TaskDto.properties)).toEqual(expect.arrayContaining(['id', 'title', 'description', 'completed', 'createdAt', 'updatedAt']));
    expect(TaskDto.properties.description).toEqual(expect.objectContaining({ type: 'string', nullable: true }));
    expect(AuthResponseDto.properties.tokenType.enum).toEqual(['Bearer']);
    expect(ProblemDto.required.sort()).toEqual(['detail', 'status', 'title', 'type']);
    expect(JSON.stringify(doc.components.schemas)).not.toMatch(/passwordHash|password_hash/);
  });

  it('gives examples on request and response bodies', () => {
    for (const name of ['RegisterDto', 'LoginDto', 'UpdateUserDto', 'CreateTaskDto', 'UpdateTaskDto', 'UserDto', 'TaskDto', 'AuthResponseDto', 'ProblemDto']) {
      const schema = doc.components.schemas[name];
      for (const [property, definition] of Object.entries(schema.properties as Json)) {
        if (definition.$ref || definition.type === 'array') continue;
        expect({ schema: name, property, hasExample: 'example' in definition }).toEqual({ schema: name, property, hasExample: true });
      }
    }
  });

  it('serves Swagger UI as HTML at /docs', async () => {
    const res = await request(t.http).get('/docs').redirects(1).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toMatch(/swagger-ui/i);
    await request(t.http).get('/docs/swagger-ui-bundle.js').expect(200);
  });

  it.each([
    ['/docs', 'text/html'],
    ['/docs/swagger-ui-init.js', 'application/javascript'],
    ['/docs-yaml', 'text/yaml'],
  ])('serves %s as %s in UTF-8, and nothing else gets a charset added', async (url, type) => {
    const res = await request(t.http).get(url).redirects(1).expect(200);
    expect(res.headers['content-type']).toBe(`${type}; charset=utf-8`);
    const health = await request(t.http).get('/health/live').expect(200);
    expect(health.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('states package.json’s version as info.version', () => {
    expect(doc.info.version).toBe(PACKAGE_VERSION);
  });

  it('puts no default on a request body property (openapi-typescript would make the field required)', () => {
    for (const name of ['RegisterDto', 'LoginDto', 'UpdateUserDto', 'CreateTaskDto', 'UpdateTaskDto']) {
      for (const [property, schema] of Object.entries(doc.components.schemas[name].properties as Json)) {
        expect({ [`${name}.${property}`]: schema.default }).toEqual({ [`${name}.${property}`]: undefined });
      }
    }
    expect(doc.components.schemas.CreateTaskDto.properties.completed.description).toMatch(/defaults to false/i);
  });

  it('yields a typed client (openapi-typescript defaults + openapi-fetch) that compiles under tsc --strict and calls every route with only its required fields', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'task-service-client-'));
    try {
      symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
      // the document as a client author gets it: from the running service's /docs-json
      const served = await request(t.http).get('/docs-json').expect(200);
      writeFileSync(path.join(dir, 'openapi.json'), JSON.stringify(served.body));
      // openapi-typescript with its default options: only the input and where to write the types
      await run(path.join(BIN, 'openapi-typescript'), ['openapi.json', '-o', 'api.ts'], { cwd: dir });
      writeFileSync(path.join(dir, 'client.ts'), CLIENT_SOURCE);
      const compiled = await run(
        path.join(BIN, 'tsc'),
        ['--strict', '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler', '--lib', 'es2022,dom', '--types', 'node', '--outDir', 'out', 'client.ts', 'api.ts'],
        { cwd: dir },
      ).then(
        () => ({ code: 0, output: '' }),
        (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code, output: `${error.stdout}${error.stderr}` }),
      );
      expect(compiled).toEqual({ code: 0, output: '' });

      // and the compiled client runs against the service
      await t.app.listen(0, '127.0.0.1');
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      const ran = await run(process.execPath, [path.join('out', 'client.js')], { cwd: dir, env: { ...process.env, BASE_URL: `http://127.0.0.1:${port}` } });
      expect(JSON.parse(ran.stdout)).toEqual({
        register: 201,
        login: 200,
        me: 200,
        patchMe: 200,
        create: 201,
        createdCompleted: false,
        list: 200,
        listed: 1,
        get: 200,
        patch: 200,
        patchedCompleted: true,
        deleteTask: 204,
        deleteMe: 204,
        afterDelete: 401,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('OpenAPI in production', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ NODE_ENV: 'production' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves /docs and /docs-json with NODE_ENV=production too', async () => {
    const json = await request(t.http).get('/docs-json').expect(200);
    expect(Object.keys(json.body.paths)).toEqual(expect.arrayContaining(['/auth/register', '/tasks', '/users/me']));
    const html = await request(t.http).get('/docs').redirects(1).expect(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
  });
});

/**
 * A client of the generated types. The @ts-expect-error lines fail the compilation when the document is too
 * loose (e.g. a required field made optional, nextCursor typed as an object or a number).
 */
const CLIENT_SOURCE = `
import createClient from 'openapi-fetch';
import type { components, paths } from './api';

type Task = components['schemas']['TaskDto'];
const client = createClient<paths>({ baseUrl: 'http://localhost:3000', headers: { Authorization: 'Bearer token' } });

export async function listAll(): Promise<Task[]> {
  const tasks: Task[] = [];
  let cursor: string | undefined;
  for (;;) {
    const { data, error } = await client.GET('/tasks', { params: { query: { limit: 100, completed: false, cursor } } });
    if (error) throw new Error(error.detail + ' ' + String(error.status) + ' ' + (error.errors?.[0]?.field ?? ''));
    tasks.push(...data.items);
    const next: string | null = data.nextCursor;
    if (next === null) return tasks;
    cursor = next;
  }
}

export async function create(): Promise<string> {
  await client.GET('/tasks'); // every query parameter is optional
  const { data, error, response } = await client.POST('/tasks', { body: { title: 'Buy milk', description: null, completed: false } });
  if (error) return error.title;
  const description: string | null = data.description;
  const done: boolean = data.completed;
  const created: string = data.createdAt;
  return data.id + description + String(done) + created + response.headers.get('ETag');
}

/** Every route with only its required fields; prints the statuses as JSON. */
async function main(): Promise<void> {
  const api = createClient<paths>({ baseUrl: process.env.BASE_URL });
  const email = 'typed-client-' + Date.now() + '@example.com';
  const password = 'correct horse battery staple';
  const out: Record<string, unknown> = {};
  const registered = await api.POST('/auth/register', { body: { email, password } }); // no name
  out.register = registered.response.status;
  const login = await api.POST('/auth/login', { body: { email, password } });
  out.login = login.response.status;
  if (!login.data) throw new Error('login failed');
  const headers = { Authorization: 'Bearer ' + login.data.accessToken };
  out.me = (await api.GET('/users/me', { headers })).response.status;
  out.patchMe = (await api.PATCH('/users/me', { headers, body: { name: 'Ada' } })).response.status; // its one field (an empty body is 400)
  const created = await api.POST('/tasks', { headers, body: { title: 'Buy milk' } }); // only the title
  out.create = created.response.status;
  if (!created.data) throw new Error('create failed');
  out.createdCompleted = created.data.completed;
  const id = created.data.id;
  const list = await api.GET('/tasks', { headers }); // no query at all
  out.list = list.response.status;
  out.listed = list.data?.items.length;
  out.get = (await api.GET('/tasks/{id}', { headers, params: { path: { id } } })).response.status;
  const patched = await api.PATCH('/tasks/{id}', { headers, params: { path: { id } }, body: { completed: true } }); // no If-Match
  out.patch = patched.response.status;
  out.patchedCompleted = patched.data?.completed;
  out.deleteTask = (await api.DELETE('/tasks/{id}', { headers, params: { path: { id } } })).response.status;
  out.deleteMe = (await api.DELETE('/users/me', { headers })).response.status;
  out.afterDelete = (await api.GET('/users/me', { headers })).response.status;
  process.stdout.write(JSON.stringify(out));
}

if (process.env.BASE_URL) await main();

export async function misuse(): Promise<void> {
  // @ts-expect-error title is required
  await client.POST('/tasks', { body: {} });
  // @ts-expect-error title is a string, never null
  await client.POST('/tasks', { body: { title: null } });
  // @ts-expect-error limit is a number
  await client.GET('/tasks', { params: { query: { limit: 'ten' } } });
  const { data } = await client.GET('/tasks');
  // @ts-expect-error nextCursor is a string or null, not a number
  const n: number = data!.nextCursor;
  // @ts-expect-error nextCursor may be null
  const s: string = data!.nextCursor;
  void n;
  void s;
}
`;
