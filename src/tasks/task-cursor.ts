import { isUuid } from '../validation/uuid';

/** A position in the (createdAt desc, id desc) order. */
export interface TaskCursor {
  createdAt: Date;
  id: string;
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/**
 * The earliest instant a cursor may carry: PostgreSQL has no year 0, and refuses such a date in a query. The
 * four-digit years of ISO_MS keep the latest (9999) well inside PostgreSQL's range (up to 294276 AD).
 */
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');

/** Opaque to clients: base64url of [createdAt, id]. It names a position only; the owner filter decides whose rows. */
export function encodeCursor(cursor: TaskCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id])).toString('base64url');
}

/** undefined for anything that is not a cursor this service made (tampered, truncated, another format, a year PostgreSQL cannot store). */
export function decodeCursor(text: string): TaskCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [createdAt, id] = value as unknown[];
  if (typeof createdAt !== 'string' || !ISO_MS.test(createdAt) || !isUuid(id)) return undefined;
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime()) || date.getTime() < EARLIEST || date.toISOString() !== createdAt) return undefined;
  return { createdAt: date, id: id.toLowerCase() };
}
