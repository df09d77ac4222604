import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { forkEntityManagerPerRequest } from '../database/request-context';
import { closeConnectionsWhenDraining } from '../health/close-when-draining';
import { Lifecycle } from '../health/lifecycle';
import { registerJsonBody } from './json-body';
import { ROOT_LOGGER } from '../logging/logging.module';
import { noStoreOnApiRoutes } from './no-store';
import { instrumentApp } from '../metrics/http-metrics';
import { logRequests } from '../logging/request-log';
import { registerSecurityHeaders } from './security-headers';
import { setupSwagger } from '../openapi/swagger';

/**
 * What main.ts and the e2e tests both apply to the Nest application, so the tests run the production
 * pipeline. Create the app with createHttpAdapter(config) (Fastify's options: trust proxy, query parser,
 * limits, client errors) and `{ bodyParser: false }`: the JSON parser is registered here.
 */
export function configureApp(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  forkEntityManagerPerRequest(fastify, app.get(MikroORM));
  closeConnectionsWhenDraining(fastify, app.get(Lifecycle));
  logRequests(fastify, app.get(ROOT_LOGGER));
  instrumentApp(app);
  noStoreOnApiRoutes(fastify);
  registerSecurityHeaders(fastify);
  registerJsonBody(fastify);
  setupSwagger(app);
}
