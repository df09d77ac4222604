import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * An e-mail as it is validated, stored and compared, close to RFC 8265's UsernameCaseMapped profile:
 * NFKC (which includes the width mapping: full-width `ａ` is `a`), then lower case (Unicode toLowerCase, the
 * case mapping RFC 8265 names; not full case folding, so `ß` stays `ß`), then NFC composition (`e` + U+0301 is
 * `é`), then trimmed. The result is its own lower(btrim()), as the database's check on users.email wants.
 */
export function normalizeEmail(value: string): string {
  return value.normalize('NFKC').toLowerCase().normalize('NFC').trim();
}

/**
 * Characters that show nothing or change how text is shown: format characters (\p{Cf}: zero-width space
 * U+200B, joiners, bidi controls such as U+202E, soft hyphen, BOM), controls, line/paragraph separators and
 * other default-ignorable code points (U+3164 Hangul filler, variation selectors, ...).
 */
const INVISIBLE = /[\p{Cf}\p{Cc}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

export function hasInvisibleCharacters(value: string): boolean {
  return INVISIBLE.test(value);
}

/** E-mails are normalised (normalizeEmail) before they are validated, stored or compared. */
export const NormalizeEmail = () => Transform(({ value }) => (typeof value === 'string' ? normalizeEmail(value) : value));

/** 400 for an e-mail holding invisible or format characters: two addresses that look the same must be one. */
export function NoInvisibleCharacters(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'noInvisibleCharacters',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !hasInvisibleCharacters(value),
        defaultMessage: () => 'must not contain invisible or format characters (such as U+200B or bidi controls)',
      },
    },
    options,
  );
}
