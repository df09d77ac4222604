import type { Response } from 'supertest';

/** A problem+json answer with the given status, its required fields, and nothing that leaks. */
export function expectProblem(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) }));
  expect(res.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+|\bselect\b|insert into|\$argon2|duplicate key|violates/i);
}

/** A 400 whose `errors` name the field. */
export function expectInvalid(res: Response, field: string): void {
  expectProblem(res, 400);
  expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.any(String) })]));
}
