import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { onSendHookHandler } from 'fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { PUBLIC_OPERATION_EXTENSION } from '../auth/public.decorator';
import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import path from 'node:path';
import { problem, PROBLEM_CONTENT_TYPE } from '../errors/problem';

type Responses = Record<string, { description?: string; content?: Record<string, { schema?: { $ref?: string }; example?: unknown }> }>;

/**
 * Error responses documented with ProblemDto are served as application/problem+json: say so, with an
 * example of that status (ProblemDto's own example is a 400).
 */
function documentProblemContentType(responses: Responses): void {
  for (const [status, response] of Object.entries(responses)) {
    const json = response.content?.['application/json'];
    if (Number(status) >= 400 && json?.schema?.$ref?.endsWith('/ProblemDto')) {
      const example = Number(status) === 400 ? undefined : problem(Number(status), response.description ?? STATUS_CODES[Number(status)] ?? '');
      response.content = { [PROBLEM_CONTENT_TYPE]: { ...json, ...(example && { example }) } };
    }
  }
}

/** Every operation that reads or writes the database may answer 503 while the database is away. */
function documentDatabaseUnavailable(path: string, responses: Record<string, unknown>): void {
  if (path === '/health/live' || responses['503']) return;
  responses['503'] = {
    description: 'The database is unavailable; retry after Retry-After seconds',
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } },
    content: {
      [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDto' }, example: problem(503, 'The database is unavailable; retry later') },
    },
  };
}

/** Every operation that takes a JSON body refuses one without `Content-Type: application/json`. */
function documentUnsupportedMediaType(op: Record<string, unknown>): void {
  const responses = op.responses as Record<string, unknown>;
  if (!op.requestBody || responses['415']) return;
  responses['415'] = {
    description: 'The body is not sent as `Content-Type: application/json` (UTF-8)',
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: '#/components/schemas/ProblemDto' },
        example: problem(415, 'The request body must be sent with Content-Type: application/json'),
      },
    },
  };
}

/** package.json's version: the nearest task-service package.json above this file (src/http, dist/src/http alike). */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'task-service' && pkg.version) return pkg.version;
    } catch {
      // none here: look one folder up
    }
    if (path.dirname(dir) === dir) return '0.0.0';
  }
}

/**
 * The OpenAPI document (/docs-json) and Swagger UI (/docs), in every environment. No `servers` entry:
 * the page calls its own origin. Bearer auth is required on every operation except those marked @Public().
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Task service')
    .setDescription(
      'Per-user task lists. Register or log in, then click Authorize and paste the accessToken. ' +
        'Errors are RFC 9457 problem+json. A user only ever sees their own tasks; another user’s task answers 404.',
    )
    .setVersion(packageVersion())
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  for (const [path, pathItem] of Object.entries(document.paths)) {
    for (const operation of Object.values(pathItem)) {
      if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
      const op = operation as Record<string, unknown>;
      documentProblemContentType(op.responses as Responses);
      documentDatabaseUnavailable(path, op.responses as Record<string, unknown>);
      documentUnsupportedMediaType(op);
      if (op[PUBLIC_OPERATION_EXTENSION]) {
        delete op[PUBLIC_OPERATION_EXTENSION];
        op.security = [];
      }
    }
  }
  return document;
}

const UTF8_TYPES = /^(?:text\/html|text\/yaml|application\/javascript)$/;

/** Adds the charset to a text answer of the documentation (Fastify sends these without one; they are UTF-8). */
const declareUtf8: onSendHookHandler = (_request, reply, payload, done) => {
  const type = reply.getHeader('content-type');
  if (typeof type === 'string' && UTF8_TYPES.test(type)) void reply.header('content-type', `${type}; charset=utf-8`);
  done(null, payload);
};

/** Only on the /docs routes (page, assets, init script, YAML): no other answer passes through the hook. */
function declareUtf8OnDocs(app: NestFastifyApplication): void {
  app.getHttpAdapter().getInstance().addHook('onRoute', (route) => {
    if (!route.url.startsWith('/docs')) return;
    const own = route.onSend === undefined ? [] : Array.isArray(route.onSend) ? route.onSend : [route.onSend];
    route.onSend = [...own, declareUtf8];
  });
}

export function setupSwagger(app: NestFastifyApplication): void {
  declareUtf8OnDocs(app);
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    swaggerOptions: { persistAuthorization: true },
  });
}
