import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { PUBLIC_OPERATION_EXTENSION } from '../auth/public.decorator';

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
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem)) {
      if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
      const op = operation as Record<string, unknown>;
      if (op[PUBLIC_OPERATION_EXTENSION]) {
        delete op[PUBLIC_OPERATION_EXTENSION];
        op.security = [];
      }
    }
  }
  return document;
}

export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    swaggerOptions: { persistAuthorization: true },
  });
}
