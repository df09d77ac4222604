import fc from 'fast-check';
import { ProblemException } from '../errors/problem';
import { etagOf, parseIfMatch } from './etag';

describe(etagOf.name, () => {
  const sut = etagOf;

  it('quotes the version: a strong validator', () => {
    expect(sut(1)).toBe('"1"');
    expect(sut(42)).toBe('"42"');
  });

  it('is accepted back by If-Match as exactly that version', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 999_999_999 }), (version) => {
      expect(parseIfMatch(sut(version))).toEqual({ versions: [version], onlyWeak: false });
    }));
  });
});

describe(parseIfMatch.name, () => {
  const sut = parseIfMatch;

  /** The 400 problem the header gets, or undefined when it parses. */
  function refusal(header: string): ProblemException | undefined {
    try {
      sut(header);
      return undefined;
    } catch (error) {
      return error as ProblemException;
    }
  }

  it('is undefined without an If-Match header: the update is unconditional', () => {
    expect(sut(undefined)).toBeUndefined();
  });

  it.each(['*', ' * '])('treats %p as any current version', (header) => {
    expect(sut(header)).toEqual({ versions: '*', onlyWeak: false });
  });

  it('accepts a list of strong tags, with or without spaces, and empty list elements', () => {
    expect(sut('"3", "1","7"')).toEqual({ versions: [3, 1, 7], onlyWeak: false });
    expect(sut(' , "3",, "4" ,')).toEqual({ versions: [3, 4], onlyWeak: false });
  });

  it('says when only weak tags were given: they never match (strong comparison)', () => {
    expect(sut('W/"1"')).toEqual({ versions: [], onlyWeak: true });
    expect(sut('W/"1", W/"2"')).toEqual({ versions: [], onlyWeak: true });
    expect(sut('W/"1", "2"')).toEqual({ versions: [2], onlyWeak: false });
  });

  it.each(['"abc"', '"01"', '"0"', '"-1"', '"1.5"', '"1234567890"', '"a,b"', '""'])(
    'accepts the well-formed tag %p, which names no version (412 when it is the only one)',
    (header) => {
      expect(sut(header)).toEqual({ versions: [], onlyWeak: false });
    },
  );

  it.each(['', ' ', ',', '1', '3', 'garbage', '"1', '1"', "'1'", '" 1"', '*, "1"', '*, garbage', 'w/"1"', 'W/1', '"1" "2"', '"1";', '"a"b"'])(
    'refuses %p with a 400 naming the If-Match header',
    (header) => {
      const error = refusal(header);
      expect(error).toBeInstanceOf(ProblemException);
      expect(error!.problem).toMatchObject({ status: 400, errors: [{ field: 'If-Match', message: expect.any(String) }] });
    },
  );

  it('either refuses a header with a 400 or yields only versions written as strong tags', () => {
    fc.assert(fc.property(fc.string(), (header) => {
      const error = refusal(header);
      if (error) return expect(error.problem.status).toBe(400);
      const result = sut(header)!;
      if (result.versions === '*') expect(header.trim()).toBe('*');
      else for (const version of result.versions) expect(header).toContain(`"${version}"`);
    }));
  });
});
