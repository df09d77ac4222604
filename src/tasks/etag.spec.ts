import fc from 'fast-check';
import { acceptedVersions, etagOf } from './etag';

describe(etagOf.name, () => {
  const sut = etagOf;

  it('quotes the version: a strong validator', () => {
    expect(sut(1)).toBe('"1"');
    expect(sut(42)).toBe('"42"');
  });

  it('is accepted back by If-Match as exactly that version', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 999_999_999 }), (version) => {
      expect(acceptedVersions(sut(version))).toEqual([version]);
    }));
  });
});

describe(acceptedVersions.name, () => {
  const sut = acceptedVersions;

  it('is undefined without an If-Match header: the update is unconditional', () => {
    expect(sut(undefined)).toBeUndefined();
  });

  it.each(['*', ' * '])('treats %p as any current version', (header) => {
    expect(sut(header)).toBe('*');
  });

  it('accepts a list of strong tags, with or without spaces', () => {
    expect(sut('"3", "1","7"')).toEqual([3, 1, 7]);
  });

  it('ignores weak tags: If-Match compares strongly', () => {
    expect(sut('W/"1"')).toEqual([]);
    expect(sut('W/"1", "2"')).toEqual([2]);
  });

  it.each(['', '1', '"abc"', '"1', '1"', '"-1"', '"1.5"', '"1234567890"', '"01"', '"0"', "'1'", '*, garbage', '" 1"'])(
    'matches no version for the malformed %p (412, never a match)',
    (header) => {
      expect(sut(header)).toEqual([]);
    },
  );

  it('never throws, and only yields versions that were written as strong tags', () => {
    fc.assert(fc.property(fc.string(), (header) => {
      const result = sut(header);
      if (result === '*') expect(header.trim()).toBe('*');
      else for (const version of result ?? []) expect(header).toContain(`"${version}"`);
    }));
  });
});
