import { ValidateBy, type ValidationArguments, type ValidationOptions } from 'class-validator';

/** Characters as the contract and PostgreSQL count them: code points. */
export function codePointCount(value: string): number {
  return [...value].length;
}

/**
 * A string of min..max code points. class-validator's Length/MaxLength do not count variation selectors
 * (U+FE0E/U+FE0F), so they let 129 code points through a 128 limit and refuse 8 that include one.
 */
export function CodePointLength(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'codePointLength',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && codePointCount(value) >= min && codePointCount(value) <= max,
        defaultMessage: ({ property, value }: ValidationArguments) =>
          typeof value === 'string' && codePointCount(value) < min
            ? `${property} must be longer than or equal to ${min} characters`
            : `${property} must be shorter than or equal to ${max} characters`,
      },
    },
    options,
  );
}
