/**
 * What a body of another type than JSON (or of no type) parses to: it is not read, and the validation pipe
 * answers 415 where a route binds a body. Raising it there, not in the body parser, keeps authentication first (401).
 */
export class UnsupportedBody {
  constructor(readonly contentType: string | undefined) {
    Object.freeze(this);
  }
}

export function isUnsupportedBody(value: unknown): value is UnsupportedBody {
  return value instanceof UnsupportedBody;
}
