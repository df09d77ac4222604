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
  /** Validation problems: how many field errors were left out of `errors` (at most MAX_FIELD_ERRORS are listed). */
  moreErrors?: number;
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

/** A validation problem lists at most this many field errors; `moreErrors` counts the rest. */
export const MAX_FIELD_ERRORS = 20;
/** Longest field name or message echoed back (a key can be up to 100 KiB long); longer ones are cut with "…". */
const MAX_ECHOED_CHARS = 200;

function cut(text: string): string {
  const codePoints = Array.from(text.slice(0, MAX_ECHOED_CHARS * 2 + 2));
  return codePoints.length > MAX_ECHOED_CHARS ? `${codePoints.slice(0, MAX_ECHOED_CHARS).join('')}…` : text;
}

/**
 * A 400 naming the fields. Bounded whatever the request: at most MAX_FIELD_ERRORS errors, each field name and
 * message cut to MAX_ECHOED_CHARS, and a detail that ends with "... and N more" when some were left out.
 */
export function validationProblem(errors: FieldError[]): ProblemException {
  const listed = errors.slice(0, MAX_FIELD_ERRORS).map((e) => ({ field: cut(e.field), message: cut(e.message) }));
  const more = errors.length - listed.length;
  const detail = (listed.map((e) => `${e.field}: ${e.message}`).join('; ') || 'The request is not valid') + (more > 0 ? `; ... and ${more} more` : '');
  return new ProblemException(
    problem(400, detail, {
      type: 'urn:task-service:problem:validation',
      title: 'Validation failed',
      errors: listed,
      ...(more > 0 ? { moreErrors: more } : {}),
    }),
  );
}
