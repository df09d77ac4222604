import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { DeletedAccountCheck } from '../auth/deleted-account-check';
import { invalidToken } from '../auth/invalid-token';
import { bodyReadProblem } from '../http/json-body';
import { countUnavailable } from '../metrics/metrics';
import { databaseErrorStatus } from './database-error-status';
import { problem, PROBLEM_CONTENT_TYPE, ProblemDetails, ProblemException, RETRY_AFTER_SECONDS } from './problem';

const DETAIL_BY_STATUS: Record<number, string> = {
  400: 'The request is not valid',
  401: 'A valid bearer token is required',
  404: 'No such resource',
  409: 'The request conflicts with the current state of the resource',
  503: 'The database is unavailable; retry later',
};

/**
 * The one place that turns every error into RFC 9457 problem+json. Known errors are mapped by class;
 * anything else is a generic 500 whose details go only to the log. No body ever carries a stack trace,
 * SQL, a driver message or a password hash.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(@Optional() private readonly deletedAccounts?: DeletedAccountCheck) {}

  async catch(error: unknown, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    const response = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    let { body, headers } = this.toProblem(bodyReadProblem(error) ?? error, request);
    countUnavailable(body.status, error);
    if (isClientError(body.status) && (await this.deletedAccounts?.isDeleted((request as FastifyRequest & { user?: AuthenticatedUser }).user))) {
      ({ body, headers } = this.toProblem(invalidToken(), request));
    }
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
      return { body: problem(status, this.httpDetail(error, status)), headers: this.withChallenge(status, {}) };
    }
    const dbStatus = databaseErrorStatus(error);
    if (dbStatus !== undefined) {
      if (dbStatus === 503) {
        this.logger.warn(`Database unavailable on ${request.method} ${pathOf(request)} (request ${request.id}): ${describe(error)}`);
        return { body: problem(503, DETAIL_BY_STATUS[503]), headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } };
      }
      return { body: problem(dbStatus, DETAIL_BY_STATUS[dbStatus]), headers: {} };
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

/** 4xx other than 401 and 429 (a login answer, where no token is involved). */
function isClientError(status: number): boolean {
  return status >= 400 && status < 500 && status !== 401 && status !== 429;
}

function pathOf(request: FastifyRequest): string {
  const query = request.url.indexOf('?');
  return query === -1 ? request.url : request.url.slice(0, query);
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.constructor.name}: ${error.message.split('\n')[0]}`;
  return String(error);
}
