import type { FastifyInstance } from 'fastify';

/** The API's paths (routing is case-insensitive, with or without a trailing slash). */
const API_PATH = /^\/(?:auth|users|tasks)(?:[/?#]|$)/i;

/**
 * Every answer of the API routes (auth, users, tasks) carries `Cache-Control: no-store`: tokens (register,
 * login) and private data must not be kept by a browser or a shared cache. Set when the request arrives, so
 * error answers (401, 404, 400, 415, 503 problems) carry it too.
 */
export function noStoreOnApiRoutes(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (API_PATH.test(request.url)) void reply.header('Cache-Control', 'no-store');
    done();
  });
}
