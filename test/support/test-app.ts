import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';
import { Pool } from 'pg';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { configureApp } from '../../src/http/configure-app';
import { createHttpAdapter } from '../../src/http/http-adapter';
import { createMigratedDatabase, dropDatabase, superuserUrlFor } from './test-database';
import { uniqueEmail } from './unique-email';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

export interface TestApp {
  app: NestFastifyApplication;
  http: Server;
  config: AppConfig;
  /** Direct SQL on this file's database as a superuser (past row-level security), to arrange and assert what is stored. */
  db: Pool;
  close(): Promise<void>;
}

/** The real AppModule with the production pipeline (HTTP adapter, body parser, Swagger) for one configuration. */
export async function startApp(config: AppConfig): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), { bodyParser: false, logger: false });
  configureApp(app);
  try {
    await app.init();
  } catch (error) {
    // a start the service refuses (as main.ts exits) leaves nothing open: its pool would keep the database busy
    await app.close().catch(() => undefined);
    throw error;
  }
  await app.getHttpAdapter().getInstance().ready(); // routes in place before the tests call the server directly
  return app;
}

/** The real AppModule and production pipeline on a database of this test file's own. */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const url = await createMigratedDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: url,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'silent',
    MIGRATE_ON_START: 'false',
    // every user of a test file registers from one address; the registration limit's own tests set theirs
    REGISTER_IP_MAX: '100000',
    ...env,
  });
  const app = await startApp(config);
  const db = new Pool({ connectionString: superuserUrlFor(url), max: 2 });
  return {
    app,
    http: app.getHttpServer(),
    config,
    db,
    close: async () => {
      await app.close();
      await endPool(db);
      await dropDatabase(url);
    },
  };
}

/**
 * pg-pool's end() resolves once it has asked its clients to close, not once they have: a database dropped
 * `with (force)` right after would terminate a session still closing, whose client then reports the FATAL
 * 57P01 as an unhandled pool error. Resolves when every client has closed (pg-pool's `remove` event).
 */
async function endPool(pool: Pool): Promise<void> {
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    pool.on('remove', () => {
      if (--open === 0) resolve();
    });
  });
  await pool.end();
  await closed;
}

/** A test app for the enclosing describe block: created before its tests, closed after them. */
export function useTestApp(env: Record<string, string> = {}): TestApp {
  const app = {} as TestApp;
  beforeAll(async () => {
    Object.assign(app, await createTestApp(env));
  });
  afterAll(() => app.close());
  return app;
}

export { uniqueEmail } from './unique-email';

export interface RegisteredUser {
  id: string;
  email: string;
  password: string;
  token: string;
  auth: { Authorization: string };
}

export async function registerUser(http: Server, email = uniqueEmail(), password = 'correct horse battery'): Promise<RegisteredUser> {
  const res = await request(http).post('/auth/register').send({ email, password }).expect(201);
  const token = res.body.accessToken as string;
  return { id: res.body.user.id, email: res.body.user.email, password, token, auth: { Authorization: `Bearer ${token}` } };
}
