import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, validationProblem } from '../errors/problem';

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

/** The first string (at any depth) that holds a NUL character, as a field path. PostgreSQL cannot store one. */
function findNul(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || 'value' : undefined;
  if (depth > 32 || value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    const found = findNul(child, path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** class-transformer drops these keys (its prototype-pollution guard), so the whitelist never sees them. */
const DROPPED_KEYS = ['__proto__', 'constructor'];

function findDroppedKey(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  return DROPPED_KEYS.find((key) => Object.prototype.hasOwnProperty.call(value, key));
}

/**
 * The global pipe: runs after the guard (authentication comes before validation). Refuses NUL characters
 * anywhere, repeated query parameters and bodies that are not JSON objects; then validates the DTO with
 * whitelist + forbidNonWhitelisted, so unknown fields (userId, id, createdAt, ...) are 400.
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
    const nulField = findNul(value, metadata.type === 'body' ? '' : (metadata.data ?? ''));
    if (nulField) throw validationProblem([{ field: nulField, message: 'must not contain the NUL character (U+0000)' }]);
    if (metadata.type === 'query' && value && typeof value === 'object') {
      const repeated = Object.entries(value).find(([, v]) => Array.isArray(v));
      if (repeated) throw validationProblem([{ field: repeated[0], message: 'must be given at most once' }]);
    }
    if (metadata.type === 'body' && isDto(metadata) && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw validationProblem([{ field: 'body', message: 'must be a JSON object' }]);
    }
    const dropped = isDto(metadata) ? findDroppedKey(value) : undefined;
    if (dropped) throw validationProblem([{ field: dropped, message: 'is not an accepted field' }]);
    return this.dto.transform(value, metadata);
  }
}

function isDto(metadata: ArgumentMetadata): boolean {
  const types: unknown[] = [String, Boolean, Number, Array, Object];
  return typeof metadata.metatype === 'function' && !types.includes(metadata.metatype);
}
