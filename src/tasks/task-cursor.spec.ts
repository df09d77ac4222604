import fc from 'fast-check';
import { decodeCursor, encodeCursor, type TaskCursor } from './task-cursor';

const ID = '0b6f4f2e-5d0c-4b8e-9a3e-1f2d3c4b5a69';
const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const cursors = fc.record({
  createdAt: fc.date({ min: new Date('1970-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
  id: fc.uuid(),
});

describe(encodeCursor.name, () => {
  const sut = encodeCursor;

  it('is opaque url-safe text', () => {
    expect(sut({ createdAt: new Date('2025-01-02T03:04:05.678Z'), id: ID })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('round-trips through decodeCursor at millisecond precision', () => {
    fc.assert(fc.property(cursors, (cursor: TaskCursor) => {
      const decoded = decodeCursor(sut(cursor));
      expect(decoded).toEqual({ createdAt: cursor.createdAt, id: cursor.id.toLowerCase() });
      expect(decoded?.createdAt.getTime()).toBe(cursor.createdAt.getTime());
    }));
  });
});

describe(decodeCursor.name, () => {
  const sut = decodeCursor;

  it('reads what encodeCursor wrote', () => {
    expect(sut(raw(['2025-01-02T03:04:05.678Z', ID]))).toEqual({ createdAt: new Date('2025-01-02T03:04:05.678Z'), id: ID });
  });

  it.each(['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'])('reads a cursor at %s, the edge of what PostgreSQL and the format both hold', (createdAt) => {
    expect(sut(raw([createdAt, ID]))).toEqual({ createdAt: new Date(createdAt), id: ID });
  });

  it('lower-cases the id, so it compares like PostgreSQL uuids', () => {
    expect(sut(raw(['2025-01-02T03:04:05.678Z', ID.toUpperCase()]))?.id).toBe(ID);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc+/='],
    ['padded base64', `${raw(['2025-01-02T03:04:05.678Z', ID])}=`],
    ['too long', 'A'.repeat(201)],
    ['not JSON', Buffer.from('not json').toString('base64url')],
    ['an object', raw({ createdAt: '2025-01-02T03:04:05.678Z', id: ID })],
    ['a one-element array', raw(['2025-01-02T03:04:05.678Z'])],
    ['a three-element array', raw(['2025-01-02T03:04:05.678Z', ID, 'x'])],
    ['reversed fields', raw([ID, '2025-01-02T03:04:05.678Z'])],
    ['a non-uuid id', raw(['2025-01-02T03:04:05.678Z', 'not-a-uuid'])],
    ['an id with SQL in it', raw(['2025-01-02T03:04:05.678Z', `${ID}' or 1=1 --`])],
    ['a numeric timestamp', raw([1735787045678, ID])],
    ['a date without milliseconds', raw(['2025-01-02T03:04:05Z', ID])],
    ['microseconds', raw(['2025-01-02T03:04:05.678901Z', ID])],
    ['a time zone offset', raw(['2025-01-02T03:04:05.678+01:00', ID])],
    ['an impossible date', raw(['2025-02-30T03:04:05.678Z', ID])],
    ['an impossible hour', raw(['2025-01-02T25:04:05.678Z', ID])],
    ['year 0 (PostgreSQL has none)', raw(['0000-01-01T00:00:00.000Z', ID])],
    ['the last instant of year 0', raw(['0000-12-31T23:59:59.999Z', ID])],
    ['a year before 0', raw(['-000001-01-01T00:00:00.000Z', ID])],
    ['a year beyond 9999', raw(['+275760-09-13T00:00:00.000Z', ID])],
    ['null', raw(null)],
  ])('is undefined for %s', (_name, text) => {
    expect(sut(text)).toBeUndefined();
  });

  it('never throws on arbitrary text, and anything it accepts is a valid position', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.base64String(), fc.string().map((s) => Buffer.from(s).toString('base64url'))), (text) => {
      const decoded = sut(text);
      if (decoded) {
        expect(Number.isNaN(decoded.createdAt.getTime())).toBe(false);
        expect(decoded.createdAt.getUTCFullYear()).toBeGreaterThanOrEqual(1);
        expect(decoded.id).toMatch(/^[0-9a-f-]{36}$/);
      }
    }));
  });

  it('turns any single-character tampering into undefined or a canonical, well-formed position', () => {
    const text = encodeCursor({ createdAt: new Date('2025-01-02T03:04:05.678Z'), id: ID });
    fc.assert(fc.property(fc.nat({ max: text.length - 1 }), fc.constantFrom(...'ABCxyz019-_+/='), (at, ch) => {
      const tampered = text.slice(0, at) + ch + text.slice(at + 1);
      const decoded = sut(tampered);
      if (decoded) {
        expect(decoded.id).toBe(decoded.id.toLowerCase());
        expect(sut(encodeCursor(decoded))).toEqual(decoded);
      }
    }));
  });
});
