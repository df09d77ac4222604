import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AppConfig } from '../config/app-config';
import { answerClientErrorsAsProblems } from './client-errors';
import { jsonBodyParser } from './json-body';
import { setupSwagger } from './swagger';

/**
 * What main.ts and the e2e tests both apply to the Nest application, so the tests run the production
 * pipeline. Create the app with `{ bodyParser: false }`: the JSON parser is configured here.
 */
export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  app.disable('x-powered-by');
  app.set('etag', false); // only task responses carry an ETag: the version, set explicitly
  // X-Forwarded-For is believed only from proxies named by TRUST_PROXY (the login limit keys on req.ip)
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');
  app.use(...jsonBodyParser());
  setupSwagger(app);
  answerClientErrorsAsProblems(app.getHttpServer());
}
