import { validateSync } from 'class-validator';
import { CodePointLength } from './code-point-length';

class Sample {
  @CodePointLength(2, 4)
  value!: unknown;
}

function errorsFor(value: unknown): string[] {
  const sample = Object.assign(new Sample(), { value });
  return validateSync(sample).flatMap((error) => Object.values(error.constraints ?? {}));
}

describe(CodePointLength.name, () => {
  const sut = errorsFor;

  it.each([
    ['2 ASCII characters', 'ab'],
    ['4 ASCII characters', 'abcd'],
    ['4 emoji (8 UTF-16 units)', '😀😀😀😀'],
    ['2 code points: a letter and a variation selector', 'a\uFE0F'],
    ['4 code points of 2-byte UTF-8', 'éééé'],
  ])('accepts %s', (_label, value) => {
    expect(sut(value)).toEqual([]);
  });

  it.each([
    ['1 character', 'a', 'value must be longer than or equal to 2 characters'],
    ['5 characters', 'abcde', 'value must be shorter than or equal to 4 characters'],
    ['5 emoji', '😀😀😀😀😀', 'value must be shorter than or equal to 4 characters'],
    ['5 code points ending in a variation selector', 'abcd\uFE0F', 'value must be shorter than or equal to 4 characters'],
  ])('refuses %s', (_label, value, message) => {
    expect(sut(value)).toEqual([message]);
  });

  it.each([[null], [undefined], [42], [['ab']]])('refuses a non-string (%p)', (value) => {
    expect(sut(value)).toHaveLength(1);
  });
});
