import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerJsonBody } from './json-body';
import { setupSwagger } from './swagger';

/**
 * What main.ts and the e2e tests both apply to the Nest application, so the tests run the production
 * pipeline. Create the app with createHttpAdapter(config) (Fastify's options: trust proxy, query parser,
 * limits, client errors) and `{ bodyParser: false }`: the JSON parser is registered here.
 */
export function configureApp(app: NestFastifyApplication): void {
  registerJsonBody(app.getHttpAdapter().getInstance());
  setupSwagger(app);
}
