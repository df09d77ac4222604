import { hasInvisibleCharacters, normalizeEmail } from './normalize-email';

describe(normalizeEmail.name, () => {
  it.each([
    ['full-width letters (width mapping)', 'ａｌｉｃｅ＠ｘ．ｉｏ', 'alice@x.io'],
    ['a combining accent (NFC composition)', 'jose\u0301@x.io', 'jos\u00e9@x.io'],
    ['upper case', ' Alice@X.IO ', 'alice@x.io'],
    ['a full-width capital', 'Ａlice@x.io', 'alice@x.io'],
    ['an ideographic space around it', '\u3000bob@x.io\u3000', 'bob@x.io'],
  ])('maps %s', (_label, input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
  });

  it('is idempotent and satisfies the database check email = lower(btrim(email))', () => {
    for (const input of ['ＡＬＩＣＥ@Ｘ.io', 'JOSE\u0301@x.io', 'İstanbul@x.io', 'Σοφία@x.io', 'ǅ@x.io']) {
      const once = normalizeEmail(input);
      expect(normalizeEmail(once)).toBe(once);
      expect(once.toLowerCase().trim()).toBe(once);
      expect(once).toBe(once.normalize('NFC'));
    }
  });
});

describe(hasInvisibleCharacters.name, () => {
  it.each(['alice\u200b@x.io', 'alice@x.io\u200b', '\u202eoi.x@ecila', 'al\u200dice@x.io', 'al\u00adice@x.io', 'a\u2066b@x.io', 'a\ufeff@x.io', 'a\u3164@x.io'])(
    'finds one in %j',
    (value) => {
      expect(hasInvisibleCharacters(normalizeEmail(value))).toBe(true);
    },
  );

  it.each(['alice@x.io', 'jos\u00e9@x.io', 'δοκιμή@παράδειγμα.δοκιμή'])('finds none in %j', (value) => {
    expect(hasInvisibleCharacters(value)).toBe(false);
  });
});
