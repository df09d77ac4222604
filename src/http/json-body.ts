import { json } from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { problem, ProblemException } from '../errors/problem';

export const BODY_LIMIT_BYTES = 100 * 1024;
/** Deeper JSON than any DTO needs is refused before it is parsed (deep nesting costs stack, not bytes). */
const MAX_DEPTH = 32;

class TooDeepError extends Error {}

/** Counts [ and { outside strings; cheap over a body that is at most 100 KiB. */
function assertShallow(_req: Request, _res: Response, buffer: Buffer): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buffer.length; i++) {
    const c = buffer[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) throw new TooDeepError();
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/** body-parser's documented error types, as problems. */
function toProblem(error: { type?: string; status?: number }): ProblemException | undefined {
  // a corrupt gzip/deflate/br body fails in zlib: body-parser marks it 400 but gives it no type
  if (error.type === undefined && typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
    return new ProblemException(problem(400, 'The request body could not be read (bad Content-Encoding?)'));
  }
  switch (error.type) {
    case 'entity.too.large':
      return new ProblemException(problem(413, `The request body exceeds the limit of ${BODY_LIMIT_BYTES / 1024} KiB`));
    case 'entity.parse.failed':
      return new ProblemException(problem(400, 'The body is not valid JSON (a JSON object is expected)'));
    case 'entity.verify.failed':
      return new ProblemException(problem(400, `The JSON body is nested deeper than ${MAX_DEPTH} levels`));
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ProblemException(problem(415, 'The body must be JSON in UTF-8'));
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new ProblemException(problem(400, 'The request body could not be read'));
    default:
      return undefined;
  }
}

/** JSON bodies: at most 100 KiB, objects or arrays only (strict), at most 32 levels deep. */
export function jsonBodyParser(): RequestHandler[] {
  const parse = json({ limit: BODY_LIMIT_BYTES, strict: true, verify: assertShallow, type: ['application/json', 'application/*+json'] });
  const mapErrors = (error: unknown, _req: Request, _res: Response, next: NextFunction) =>
    next(toProblem(error as { type?: string }) ?? error);
  return [parse, mapErrors as unknown as RequestHandler];
}
