import { BODY_LIMIT_BYTES } from '../config/limits';
import { problem, ProblemException } from './problem';

/** Fastify's own errors while reading a body, as problems (undefined for any other error). */
export function bodyReadProblem(error: unknown): ProblemException | undefined {
  const { code, statusCode } = (error ?? {}) as { code?: unknown; statusCode?: unknown };
  if (typeof code !== 'string' || typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return undefined;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ProblemException(problem(413, `The request body exceeds the limit of ${BODY_LIMIT_BYTES / 1024} KiB`));
  // a corrupt gzip/deflate/br body fails in zlib; Fastify marks every error of the body stream 400
  if (code.startsWith('Z_')) return new ProblemException(problem(400, 'The request body could not be read (bad Content-Encoding?)'));
  if (code.startsWith('FST_ERR_CTP_') || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return new ProblemException(problem(statusCode, 'The request body could not be read'));
  }
  return undefined;
}
