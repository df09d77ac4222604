import fc from 'fast-check';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { isoFromTimestamptz } from './timestamptz-text';

const platform = new PostgreSqlPlatform();
const parse = (text: string) => platform.parseDate(text) as Date;

describe(isoFromTimestamptz.name, () => {
  const sut = (text: string) => isoFromTimestamptz(text, parse);

  it.each([
    ['2026-01-31 12:00:00.123+00', '2026-01-31T12:00:00.123Z'],
    ['2026-01-31 12:00:00.12+00', '2026-01-31T12:00:00.120Z'],
    ['2026-01-31 12:00:00.1+00', '2026-01-31T12:00:00.100Z'],
    ['2026-01-31 12:00:00+00', '2026-01-31T12:00:00.000Z'],
    ['0099-01-31 12:00:00.5+00', '0099-01-31T12:00:00.500Z'],
  ])('rearranges UTC text %s', (text, iso) => {
    expect(sut(text)).toBe(iso);
  });

  it.each([
    ['another time zone', '2026-01-31 17:30:00.123+05:30', '2026-01-31T12:00:00.123Z'],
    ['a negative offset', '2026-01-31 07:00:00.123-05', '2026-01-31T12:00:00.123Z'],
  ])('parses %s', (_name, text, iso) => {
    expect(sut(text)).toBe(iso);
  });

  it('agrees with parsing for every millisecond timestamp in UTC text', () => {
    const utcText = (date: Date) => {
      const iso = date.toISOString();
      const millis = iso.slice(20, 23).replace(/0+$/, '');
      return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${millis ? `.${millis}` : ''}+00`;
    };
    fc.assert(fc.property(fc.date({ min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), (date) => {
      expect(sut(utcText(date))).toBe(date.toISOString());
      expect(sut(utcText(date))).toBe(parse(utcText(date)).toISOString());
    }));
  });
});
