import { MikroORM, RequestContext } from '@mikro-orm/core';
import type { FastifyInstance } from 'fastify';

/**
 * Every request runs in its own EntityManager fork: the owner filter's parameter is set there (see
 * owner-filter.interceptor.ts) and dies with the request. A Fastify onRequest hook, the first thing a request
 * runs, instead of @mikro-orm/nestjs's middleware, which costs a pass through Nest's middleware layer (middie).
 */
export function forkEntityManagerPerRequest(fastify: FastifyInstance, orm: MikroORM): void {
  fastify.addHook('onRequest', (_request, _reply, done) => RequestContext.create(orm.em, done));
}
