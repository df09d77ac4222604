/** PostgreSQL's text for a timestamptz in a UTC session, e.g. `2026-01-31 12:00:00.12+00` (trailing zeros dropped). */
const UTC_TIMESTAMPTZ = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00$/;

/**
 * The ISO 8601 form the API shows (`2026-01-31T12:00:00.120Z`, milliseconds) of a timestamptz as the driver
 * returns it (MikroORM has pg return them as text). The usual UTC text is rearranged without building a Date;
 * anything else (another session time zone, years past 9999 or BC) goes through `parse`.
 */
export function isoFromTimestamptz(text: string, parse: (text: string) => Date): string {
  const match = UTC_TIMESTAMPTZ.exec(text);
  if (!match) return parse(text).toISOString();
  const millis = (match[3] ?? '').padEnd(3, '0').slice(0, 3);
  return `${match[1]}T${match[2]}.${millis}Z`;
}
