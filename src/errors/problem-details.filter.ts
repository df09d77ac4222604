import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { databaseErrorKind, type DatabaseErrorKind } from '../database/database-errors';
import { bodyReadProblem } from './body-read-problem';
import { recordAnsweredError } from './answered-error';
import { problem, PROBLEM_CONTENT_TYPE, ProblemDetails, ProblemException, RETRY_AFTER_SECONDS } from './problem';

const DETAIL_BY_STATUS: Record<number, string> = {
  400: 'The request is not valid',
  401: 'A valid bearer token is required',
  404: 'No such resource',
  409: 'The request conflicts with the current state of the resource',
  503: 'The database is unavailable; retry later',
};

const STATUS_BY_DATABASE_ERROR: Record<Exclude<DatabaseErrorKind, 'unavailable'>, number> = { 'bad-input': 400, conflict: 409 };

/**
 * The one place that turns every error into RFC 9457 problem+json. Known errors are mapped by class;
 * anything else is a generic 500 whose details go only to the log. No body ever carries a stack trace,
 * SQL, a driver message or a password hash.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    // the metrics count a 503 by its cause once the answer has gone out
    recordAnsweredError(request, error);
    const { body, headers } = this.toProblem(bodyReadProblem(error) ?? error, request);
    if (response.raw.headersSent) {
      response.raw.end();
      return;
    }
    void response.status(body.status).headers({ ...headers, 'Content-Type': PROBLEM_CONTENT_TYPE }).send(JSON.stringify(body));
  }

  private toProblem(error: unknown, request: FastifyRequest): { body: ProblemDetails; headers: Record<string, string> } {
    if (error instanceof ProblemException) {
      return { body: error.problem, headers: this.withChallenge(error.problem.status, error.headers) };
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      // Nest's 404 for a path no route matches quotes the whole URL, which can be kilobytes long
      const detail = status === 404 && isUnmatched(request) ? `Cannot ${request.method} ${quotedPath(request)}` : this.httpDetail(error, status);
      return { body: problem(status, detail), headers: this.withChallenge(status, {}) };
    }
    const kind = databaseErrorKind(error);
    if (kind === 'unavailable') {
      this.logger.warn(`Database unavailable on ${request.method} ${pathOf(request)} (request ${request.id}): ${describe(error)}`);
      return { body: problem(503, DETAIL_BY_STATUS[503]), headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } };
    }
    if (kind !== undefined) {
      const status = STATUS_BY_DATABASE_ERROR[kind];
      return { body: problem(status, DETAIL_BY_STATUS[status]), headers: {} };
    }
    this.logger.error(`Unhandled error on ${request.method} ${pathOf(request)} (request ${request.id})`, error instanceof Error ? error.stack : String(error));
    return { body: problem(500, 'An unexpected error occurred'), headers: {} };
  }

  /** HttpExceptions are thrown by this code and by Nest with hand-written messages; 5xx details stay generic. */
  private httpDetail(error: HttpException, status: number): string {
    const response = error.getResponse();
    const message = typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : response;
    if (typeof message === 'string' && status < 500) return message;
    return DETAIL_BY_STATUS[status] ?? 'The request could not be served';
  }

  private withChallenge(status: number, headers: Record<string, string>): Record<string, string> {
    return status === 401 ? { 'WWW-Authenticate': 'Bearer', ...headers } : headers;
  }
}

/** Longest prefix of an unknown path that its 404 quotes. */
const MAX_QUOTED_PATH_CHARS = 64;

/** No route matched the request (Fastify's not-found handler is answering it). */
function isUnmatched(request: FastifyRequest): boolean {
  return request.routeOptions?.url === undefined;
}

/** The path without its query (which may carry credentials), cut to MAX_QUOTED_PATH_CHARS code points and "…". */
function quotedPath(request: FastifyRequest): string {
  const codePoints = Array.from(pathOf(request).slice(0, MAX_QUOTED_PATH_CHARS * 2 + 2));
  return codePoints.length > MAX_QUOTED_PATH_CHARS ? `${codePoints.slice(0, MAX_QUOTED_PATH_CHARS).join('')}…` : codePoints.join('');
}

function pathOf(request: FastifyRequest): string {
  const query = request.url.indexOf('?');
  return query === -1 ? request.url : request.url.slice(0, query);
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.constructor.name}: ${error.message.split('\n')[0]}`;
  return String(error);
}
