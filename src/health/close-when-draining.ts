import type { FastifyInstance } from 'fastify';
import type { Lifecycle } from './lifecycle';

/** Once the process drains, every answer tells its client to close the connection, so keep-alives end with it. */
export function closeConnectionsWhenDraining(fastify: FastifyInstance, lifecycle: Lifecycle): void {
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (lifecycle.draining) void reply.header('Connection', 'close');
    done();
  });
}
