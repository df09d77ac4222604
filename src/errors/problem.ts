import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 2;

/** A problem with a plain HTTP meaning uses about:blank, whose title is the status phrase (RFC 9457 §4.2.1). */
export function problem(status: number, detail: string, extra: Partial<ProblemDetails> = {}): ProblemDetails {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail, ...extra };
}

/** Throw this to answer a specific problem; the global filter writes it as it is. */
export class ProblemException extends HttpException {
  constructor(readonly problem: ProblemDetails, readonly headers: Record<string, string> = {}) {
    super(problem, problem.status);
  }
}

export function validationProblem(errors: FieldError[]): ProblemException {
  return new ProblemException(
    problem(400, errors.map((e) => `${e.field}: ${e.message}`).join('; ') || 'The request is not valid', {
      type: 'urn:task-service:problem:validation',
      title: 'Validation failed',
      errors,
    }),
  );
}

export function serviceUnavailable(detail = 'The database is unavailable; retry later'): ProblemException {
  return new ProblemException(problem(503, detail), { 'Retry-After': String(RETRY_AFTER_SECONDS) });
}
