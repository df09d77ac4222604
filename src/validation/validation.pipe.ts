import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { FieldError, problem, ProblemException, validationProblem } from '../errors/problem';
import { isUnsupportedBody } from './unsupported-body';

/** Flattens class-validator's tree into `errors: [{ field, message }]`. */
function fieldErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) => ({
      field,
      message: rule === 'whitelistValidation' ? 'is not an accepted field' : message.replace(new RegExp(`^${error.property} `), ''),
    }));
    return [...own, ...fieldErrors(error.children ?? [], field)];
  });
}

/** A lone surrogate (UTF-16 that is not well-formed): \p{Cs} matches only unpaired surrogates in a /u regex. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The first string (at any depth) that PostgreSQL cannot store or that is not well-formed Unicode, as a field
 * error: a NUL character, or a lone surrogate (which would otherwise become U+FFFD, so that two passwords
 * differing only there would be one).
 */
function findBadString(value: unknown, path: string, depth = 0): FieldError | undefined {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return { field: path || 'value', message: 'must not contain the NUL character (U+0000)' };
    if (LONE_SURROGATE.test(value)) return { field: path || 'value', message: 'must be well-formed Unicode (it holds a lone surrogate)' };
    return undefined;
  }
  if (depth > 32 || value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    const found = findBadString(child, path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return undefined;
}

const knownByClass = new WeakMap<object, ReadonlySet<string>>();

/** The properties a DTO class declares to class-validator (every DTO field carries a validation decorator). */
function knownProperties(metatype: object): ReadonlySet<string> {
  let known = knownByClass.get(metatype);
  if (!known) {
    const metadata = getMetadataStorage().getTargetValidationMetadatas(metatype as new () => unknown, '', true, false);
    known = new Set(metadata.map((m) => m.propertyName));
    knownByClass.set(metatype, known);
  }
  return known;
}

/**
 * Every own key of the parsed body (or query) that the DTO does not declare. class-transformer and the
 * whitelist look keys up on the DTO instance, so names that exist there anyway (`constructor`, `toString`,
 * `__proto__`, `prototype`, `hasOwnProperty`, ...) slipped through; own keys of the plain object are exact.
 */
function unknownKeys(value: object, metatype: object): FieldError[] {
  const known = knownProperties(metatype);
  return Object.keys(value)
    .filter((key) => !known.has(key))
    .map((field) => ({ field, message: 'is not an accepted field' }));
}

/**
 * The global pipe: runs after the guard (authentication comes before validation). Refuses a body of a type
 * other than JSON (415), NUL characters and lone surrogates anywhere, repeated query parameters, bodies that
 * are not JSON objects and unknown keys; then validates the DTO with whitelist + forbidNonWhitelisted.
 */
@Injectable()
export class RequestValidationPipe implements PipeTransform {
  private readonly dto = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationProblem(fieldErrors(errors)),
  });

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'custom') return value;
    if (metadata.type === 'body' && isUnsupportedBody(value)) {
      throw new ProblemException(problem(415, 'Content-Type: the body must be JSON, sent with Content-Type: application/json'));
    }
    const bad = findBadString(value, metadata.type === 'body' ? '' : (metadata.data ?? ''));
    if (bad) throw validationProblem([bad]);
    if (metadata.type === 'query' && value && typeof value === 'object') {
      const repeated = Object.entries(value).find(([, v]) => Array.isArray(v));
      if (repeated) throw validationProblem([{ field: repeated[0], message: 'must be given at most once' }]);
    }
    if (metadata.type === 'body' && isDto(metadata) && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw validationProblem([{ field: 'body', message: 'must be a JSON object' }]);
    }
    if (isDto(metadata) && value !== null && typeof value === 'object' && (metadata.type === 'body' || metadata.type === 'query')) {
      const unknown = unknownKeys(value, metadata.metatype as object);
      if (unknown.length > 0) throw validationProblem(unknown);
    }
    return this.dto.transform(value, metadata);
  }
}

function isDto(metadata: ArgumentMetadata): boolean {
  const types: unknown[] = [String, Boolean, Number, Array, Object];
  return typeof metadata.metatype === 'function' && !types.includes(metadata.metatype);
}
