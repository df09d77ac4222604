import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { loggableUrl } from './loggable-url';

/**
 * One log line per answered request, with its request id (see request-id.ts): info, or warn for a 5xx.
 * A Fastify onResponse hook, after the answer is sent; it builds nothing when the level is off. Headers are
 * never logged, and credential-looking query parameters (`?access_token=...`) are logged as [REDACTED].
 */
export function logRequests(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const statusCode = reply.statusCode;
    const level = statusCode >= 500 ? 'warn' : 'info';
    if (logger.isLevelEnabled(level)) {
      logger[level](
        { req: { id: request.id, method: request.method, url: loggableUrl(request.url) }, res: { statusCode }, responseTime: Math.round(reply.elapsedTime) },
        'request completed',
      );
    }
    done();
  });
}
