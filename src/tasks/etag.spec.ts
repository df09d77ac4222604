import fc from 'fast-check';
import { ProblemException } from '../errors/problem';
import { etagOf, failedPrecondition, parseIfMatch, parseIfNoneMatch, parsePreconditions, versionCondition } from './etag';

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

describe(parseIfNoneMatch.name, () => {
  const sut = parseIfNoneMatch;

  it('is undefined without an If-None-Match header', () => {
    expect(sut(undefined)).toBeUndefined();
  });

  it.each(['*', ' * '])('treats %p as any current version', (header) => {
    expect(sut(header)).toEqual({ versions: '*' });
  });

  it('compares weakly: a weak tag names its version as the strong one does', () => {
    expect(sut('W/"3"')).toEqual({ versions: [3] });
    expect(sut('"3", W/"4",, "abc"')).toEqual({ versions: [3, 4] });
  });

  it.each(['', ' ', ',', '3', 'garbage', '"1', '*, "1"', 'w/"1"', 'W/1'])('refuses %p with a 400 naming the If-None-Match header', (header) => {
    let error: unknown;
    try {
      sut(header);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ProblemException);
    expect((error as ProblemException).problem).toMatchObject({ status: 400, errors: [{ field: 'If-None-Match', message: expect.any(String) }] });
  });
});

describe(failedPrecondition.name, () => {
  const sut = failedPrecondition;
  const conditions = (ifMatch?: string, ifNoneMatch?: string) => parsePreconditions(ifMatch, ifNoneMatch);

  it('lets an unconditional request go ahead', () => {
    expect(sut(conditions(), 3)).toBeUndefined();
  });

  it.each([
    ['"3"', undefined, undefined],
    ['*', undefined, undefined],
    ['"2"', undefined, 'If-Match'],
    ['W/"3"', undefined, 'If-Match'],
    [undefined, '"2"', undefined],
    [undefined, '"3"', 'If-None-Match'],
    [undefined, 'W/"3"', 'If-None-Match'],
    [undefined, '*', 'If-None-Match'],
    ['"2"', '"3"', 'If-Match'], // If-Match is evaluated first (RFC 9110 §13.2.2)
    ['"3"', '"3"', 'If-None-Match'],
  ])('If-Match %p, If-None-Match %p on a task at version 3: the false one is %p', (ifMatch, ifNoneMatch, failed) => {
    expect(sut(conditions(ifMatch, ifNoneMatch), 3)).toBe(failed);
  });
});

describe(versionCondition.name, () => {
  const sut = versionCondition;

  it.each([
    [undefined, undefined, undefined],
    ['*', undefined, undefined],
    [undefined, '"abc"', undefined],
    ['"3", "4"', undefined, { $in: [3, 4] }],
    ['W/"3"', undefined, { $in: [] }],
    [undefined, '*', { $in: [] }],
    ['"3"', '*', { $in: [] }],
    [undefined, 'W/"3", "5"', { $nin: [3, 5] }],
    ['"3"', '"2"', { $in: [3], $nin: [2] }],
  ])('If-Match %p, If-None-Match %p: a write may go ahead where the version is %p', (ifMatch, ifNoneMatch, condition) => {
    expect(sut(parsePreconditions(ifMatch, ifNoneMatch))).toEqual(condition);
  });

  it('admits exactly the versions at which failedPrecondition finds nothing false', () => {
    const header = fc.option(fc.oneof(fc.constant('*'), fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 6 })), { minLength: 1, maxLength: 3 })
      .map((tags) => tags.map(([weak, v]) => `${weak ? 'W/' : ''}"${v}"`).join(', '))), { nil: undefined });
    fc.assert(fc.property(header, header, fc.integer({ min: 1, max: 6 }), (ifMatch, ifNoneMatch, version) => {
      const conditions = parsePreconditions(ifMatch, ifNoneMatch);
      const condition = sut(conditions);
      const admitted = !condition || ((condition.$in?.includes(version) ?? true) && !(condition.$nin?.includes(version) ?? false));
      expect(admitted).toBe(failedPrecondition(conditions, version) === undefined);
    }));
  });
});
