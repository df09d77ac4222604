import type { FastifyRequest } from 'fastify';

/** The error each request was answered with: the exception filter leaves it for those who watch answers (metrics). */
const answered = new WeakMap<FastifyRequest, unknown>();

export function recordAnsweredError(request: FastifyRequest, error: unknown): void {
  answered.set(request, error);
}

/** What the exception filter answered the request for; undefined when no error was. */
export function answeredError(request: FastifyRequest): unknown {
  return answered.get(request);
}
