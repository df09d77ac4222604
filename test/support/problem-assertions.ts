import type { IncomingHttpHeaders } from 'node:http';

/** An answer as supertest, the raw client (http-client.ts) and httpJson give it. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders | Record<string, string>;
  text: string;
}

/** What no answer may carry: a stack frame, SQL, a driver's or the ORM's words, a password hash. */
export const LEAKS = /\n\s+at |node_modules|\.[jt]s:\d+|\bselect\b|insert into|\bupdate "|\$argon2|duplicate key|violates|syntax error|SQLSTATE|\bpg\b|knex|mikro/i;

/**
 * The strings of an answer as a client reads them: every key and value of its JSON, decoded (JSON escapes a
 * stack's newlines, so "\n    at " only shows once parsed), or the text itself when it is not JSON.
 */
export function readableStrings(text: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [text];
  }
  const out: string[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      for (const [key, inner] of Object.entries(v)) {
        out.push(key);
        visit(inner);
      }
    }
  };
  visit(value);
  return out;
}

/** No string of the answer matches `pattern`. */
export function expectNothingMatches(text: string, pattern: RegExp = LEAKS): void {
  expect(readableStrings(text).filter((s) => pattern.test(s))).toEqual([]);
}

/** A problem+json answer with the given status, its required fields, and nothing that leaks. */
export function expectProblem(res: Answer, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(res.text)).toEqual(expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) }));
  expectNothingMatches(res.text);
}

/** A 400 whose `errors` name the field. */
export function expectInvalid(res: Answer, field: string): void {
  expectProblem(res, 400);
  expect(JSON.parse(res.text).errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.any(String) })]));
}
