import { Transform } from 'class-transformer';

/** E-mails are trimmed and lower-cased before they are validated, stored or compared. */
export const NormalizeEmail = () =>
  Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value));
