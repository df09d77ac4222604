import request from 'supertest';
import { expectInvalid, expectProblem } from '../support/problem-assertions';
import { registerUser, TestApp, uniqueEmail, useTestApp } from '../support/test-app';
import { storedEmails } from '../support/users';
import { sleep } from '../support/wait';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const PASSWORD = 'correct horse battery';

// every registration and login runs argon2id (64 MiB, 3 passes): slow on a busy 2-core machine
jest.setTimeout(120_000);

function expectUser(user: unknown, email: string, name: string | null): void {
  expect(user).toEqual({ id: expect.stringMatching(UUID), email, name, createdAt: expect.stringMatching(ISO_UTC), updatedAt: expect.stringMatching(ISO_UTC) });
}

/** The e-mail's rows in users (normally 0 or 1). */
async function storedUsers(t: TestApp, email: string): Promise<{ id: string; email: string; name: string | null; password_hash: string }[]> {
  const { rows } = await t.db.query('select id, email, name, password_hash from users where lower(email) = lower($1)', [email.trim()]);
  return rows;
}

function register(t: TestApp, body: unknown): request.Test {
  return request(t.http).post('/auth/register').send(body as object);
}

function login(t: TestApp, email: string, password: string, headers: Record<string, string> = {}): request.Test {
  return request(t.http).post('/auth/login').set(headers).send({ email, password });
}

describe('auth (default limits)', () => {
  const t = useTestApp();

  describe('POST /auth/register', () => {
    it('answers 201 { user, accessToken, tokenType: "Bearer", expiresIn } with user exactly as GET /users/me', async () => {
      const email = uniqueEmail('shape');
      const res = await register(t, { email, password: PASSWORD, name: 'Ada' }).expect(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body).sort()).toEqual(['accessToken', 'expiresIn', 'tokenType', 'user']);
      expectUser(res.body.user, email, 'Ada');
      expect(res.body.tokenType).toBe('Bearer');
      expect(res.body.expiresIn).toBe(3600);
      expect(res.body.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const me = await request(t.http).get('/users/me').set('Authorization', `Bearer ${res.body.accessToken}`).expect(200);
      expect(me.body).toEqual(res.body.user);
      const [row] = await storedUsers(t, email);
      expect(row.id).toBe(res.body.user.id);
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
    });

    it('stores the e-mail trimmed and lower-cased, and answers it so', async () => {
      const email = uniqueEmail('MiXeD');
      const res = await register(t, { email: `  ${email.toUpperCase()}\t `, password: PASSWORD }).expect(201);
      expect(res.body.user.email).toBe(email.toLowerCase());
      const { rows } = await t.db.query('select email from users where id = $1', [res.body.user.id]);
      expect(rows).toEqual([{ email: email.toLowerCase() }]);
      // and it logs in whatever case and spaces are sent
      await login(t, ` ${email.toUpperCase()} `, PASSWORD).expect(200);
    });

    it('stores name null when it is left out or sent as null', async () => {
      const left = await register(t, { email: uniqueEmail(), password: PASSWORD }).expect(201);
      const sentNull = await register(t, { email: uniqueEmail(), password: PASSWORD, name: null }).expect(201);
      expect(left.body.user.name).toBeNull();
      expect(sentNull.body.user.name).toBeNull();
      const { rows } = await t.db.query('select name from users where id = any($1)', [[left.body.user.id, sentNull.body.user.id]]);
      expect(rows).toEqual([{ name: null }, { name: null }]);
    });

    it('answers 409 for an e-mail already taken, whatever its case, and writes nothing', async () => {
      const email = uniqueEmail('dup');
      await register(t, { email, password: PASSWORD }).expect(201);
      for (const again of [email.toUpperCase(), `  ${email.replace(/^d/, 'D')} `]) {
        expectProblem(await register(t, { email: again, password: 'another password' }), 409);
      }
      expect(await storedUsers(t, email)).toHaveLength(1);
    });

    it('gives exactly one 201 and one 409 (never a 500) when two registrations of one e-mail race', async () => {
      for (let round = 0; round < 2; round++) {
        const email = uniqueEmail('race');
        const answers = await Promise.all([register(t, { email, password: PASSWORD }), register(t, { email: email.toUpperCase(), password: PASSWORD })]);
        expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
        expectProblem(answers.find((r) => r.status === 409)!, 409);
        expect(await storedUsers(t, email)).toHaveLength(1);
      }
    });

    describe('accepts the boundaries', () => {
      it.each([
        ['an e-mail of exactly 254 characters', { email: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com` }],
        ['a password of exactly 8 characters', { password: '12345678' }],
        ['a password of exactly 128 characters', { password: 'p'.repeat(128) }],
        ['a password with spaces (no other rule)', { password: '  a b c d  ' }],
        ['a password of 128 emoji (lengths are code points, not UTF-16 units or bytes)', { password: '😀'.repeat(128) }],
        ['a password of 8 code points ending in a variation selector', { password: 'abcdefg\uFE0F' }],
        ['a name of exactly 1 character', { name: 'A' }],
        ['a name of exactly 100 characters', { name: 'n'.repeat(100) }],
        ['a name of 100 emoji', { name: '🚀'.repeat(100) }],
      ])('%s', async (_label, override: Record<string, string>) => {
        const body = { email: uniqueEmail(), password: PASSWORD, ...override };
        const res = await register(t, body).expect(201);
        expect(res.body.user.email).toBe(body.email);
        expect(res.body.user.name).toBe(override.name ?? null);
        const [row] = await storedUsers(t, body.email);
        expect(row.name).toBe(override.name ?? null);
      });

      it('keeps the password exactly as sent: emoji and variation selectors log in, a trimmed password does not', async () => {
        for (const password of ['  spaced out  ', '😀'.repeat(128), 'abcdefg\uFE0F']) {
          const email = uniqueEmail('exact');
          await register(t, { email, password }).expect(201);
          await login(t, email, password).expect(200);
        }
        const email = uniqueEmail('spaces');
        await register(t, { email, password: '  spaced out  ' }).expect(201);
        expectProblem(await login(t, email, 'spaced out'), 401);
      });
    });

    describe('answers 400 naming the field, and writes nothing', () => {
      const tooLongEmail = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`;
      it.each([
        ['email', 'missing', { email: undefined }],
        ['email', 'not an e-mail', { email: 'not-an-email' }],
        ['email', 'a number', { email: 42 }],
        ['email', 'null', { email: null }],
        ['email', '255 characters', { email: tooLongEmail }],
        ['password', 'missing', { password: undefined }],
        ['password', '7 characters', { password: '1234567' }],
        ['password', '129 characters', { password: 'p'.repeat(129) }],
        ['password', '129 emoji', { password: '😀'.repeat(129) }],
        ['password', '129 code points, the last a variation selector', { password: `${'p'.repeat(128)}\uFE0F` }],
        ['password', 'a number', { password: 12345678 }],
        ['password', 'empty', { password: '' }],
        ['name', 'empty', { name: '' }],
        ['name', '101 characters', { name: 'n'.repeat(101) }],
        ['name', '101 code points, the last a variation selector', { name: `${'n'.repeat(100)}\uFE0F` }],
        ['name', 'a number', { name: 7 }],
        ['name', 'an object', { name: { first: 'Ada' } }],
      ])('%s: %s', async (field, _label, override) => {
        const email = uniqueEmail('invalid');
        const body: Record<string, unknown> = { email, password: PASSWORD, ...override };
        for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
        expectInvalid(await register(t, body), field);
        expect(await storedUsers(t, email)).toHaveLength(0);
      });

      it('an empty object names both required fields', async () => {
        const res = await register(t, {});
        expectInvalid(res, 'email');
        expectInvalid(res, 'password');
      });

      it('no body at all is 400 naming the body', async () => {
        expectInvalid(await request(t.http).post('/auth/register'), 'body');
      });
    });
  });

  describe('POST /auth/login', () => {
    it('answers 200 with the same shape as register and user exactly as GET /users/me', async () => {
      const user = await registerUser(t.http);
      const res = await login(t, user.email, user.password).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body).sort()).toEqual(['accessToken', 'expiresIn', 'tokenType', 'user']);
      expect(res.body).toEqual(expect.objectContaining({ tokenType: 'Bearer', expiresIn: 3600 }));
      const me = await request(t.http).get('/users/me').set('Authorization', `Bearer ${res.body.accessToken}`).expect(200);
      expect(res.body.user).toEqual(me.body);
      expect(me.body.id).toBe(user.id);
    });

    it('answers 401 with one identical body for an unknown e-mail and a wrong password', async () => {
      const user = await registerUser(t.http);
      const unknown = await login(t, uniqueEmail('nobody'), user.password);
      const wrong = await login(t, user.email, `${user.password}!`);
      expectProblem(unknown, 401);
      expectProblem(wrong, 401);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.headers['content-type']).toBe(unknown.headers['content-type']);
      expect(wrong.headers['www-authenticate']).toBe(unknown.headers['www-authenticate']);
      expect(wrong.text).not.toContain(user.email);
    });

    it('takes comparable time for an unknown e-mail and a wrong password (the unknown one is hashed too)', async () => {
      const user = await registerUser(t.http);
      const time = async (email: string): Promise<number> => {
        const start = process.hrtime.bigint();
        await login(t, email, 'wrong password').expect(401);
        return Number(process.hrtime.bigint() - start) / 1e6;
      };
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const unknown: number[] = [];
      const wrong: number[] = [];
      for (let i = 0; i < 3; i++) {
        unknown.push(await time(uniqueEmail('timing')));
        wrong.push(await time(user.email));
      }
      // argon2id takes tens of milliseconds or more; skipping it for unknown e-mails would make them >10x faster
      expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.3);
    });

    it.each([
      ['email', 'missing', { email: undefined }],
      ['email', 'a number', { email: 5 }],
      ['email', '255 characters', { email: `${'e'.repeat(243)}@example.com` }],
      ['password', 'missing', { password: undefined }],
      ['password', 'an array', { password: ['a'] }],
      ['password', '129 characters', { password: 'p'.repeat(129) }],
    ])('answers 400 when %s is %s', async (field, _label, override) => {
      const body: Record<string, unknown> = { email: uniqueEmail(), password: PASSWORD, ...override };
      for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
      expectInvalid(await request(t.http).post('/auth/login').send(body), field);
    });

    it('does not accept unknown fields', async () => {
      expectInvalid(await request(t.http).post('/auth/login').send({ email: uniqueEmail(), password: PASSWORD, remember: true }), 'remember');
    });
  });

  describe('Unicode', () => {
    it.each([
      ['password', { password: 'abcdefgh\ud800' }],
      ['password', { password: 'abcdefgh\udfff' }],
      ['name', { name: 'Ada \udbff' }],
      ['email', { email: 'ada\ud800@example.com' }],
    ])('a lone surrogate in %s at register is 400 naming it', async (field, override) => {
      const email = uniqueEmail('surrogate');
      expectInvalid(await request(t.http).post('/auth/register').send({ email, password: 'correct horse battery', ...override }), field);
      expect(await storedEmails(t.db, email)).toEqual([]);
    });

    it('a lone surrogate in a login password is 400 naming it', async () => {
      const user = await registerUser(t.http);
      expectInvalid(await request(t.http).post('/auth/login').send({ email: user.email, password: `${user.password}\ud800` }), 'password');
    });

    it.each([
      ['a zero-width space', 'alice\u200b'],
      ['a right-to-left override', 'alice\u202e'],
      ['a zero-width joiner', 'al\u200dice'],
      ['a left-to-right isolate', '\u2066alice'],
      ['a soft hyphen', 'al\u00adice'],
    ])('an e-mail with %s is 400 at register and login', async (_label, local) => {
      const email = `${local}-${process.pid}-${Date.now()}@example.com`;
      expectInvalid(await request(t.http).post('/auth/register').send({ email, password: 'correct horse battery' }), 'email');
      expectInvalid(await request(t.http).post('/auth/login').send({ email, password: 'correct horse battery' }), 'email');
    });

    it('full-width and upper-case forms of an e-mail are the same account', async () => {
      const local = `wide${process.pid}${Date.now()}`;
      const wide = [...local].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('');
      const res = await request(t.http).post('/auth/register').send({ email: `Ａ${wide}@example.com`, password: 'correct horse battery' }).expect(201);
      expect(res.body.user.email).toBe(`a${local}@example.com`);
      expectProblem(await request(t.http).post('/auth/register').send({ email: `a${local}@example.com`, password: 'another password' }), 409);
      await request(t.http).post('/auth/login').send({ email: `A${local}@EXAMPLE.COM`, password: 'correct horse battery' }).expect(200);
      await request(t.http).post('/auth/login').send({ email: `ａ${wide}@example.com`, password: 'correct horse battery' }).expect(200);
      expect(await storedEmails(t.db, `a${local}@%`)).toEqual([`a${local}@example.com`]);
    });

    it('a combining accent and its precomposed form are the same account (NFC)', async () => {
      const suffix = `${process.pid}${Date.now()}@example.com`;
      const res = await request(t.http).post('/auth/register').send({ email: `jose\u0301${suffix}`, password: 'correct horse battery' }).expect(201);
      expect(res.body.user.email).toBe(`jos\u00e9${suffix}`);
      expectProblem(await request(t.http).post('/auth/register').send({ email: `jos\u00e9${suffix}`, password: 'another password' }), 409);
      await request(t.http).post('/auth/login').send({ email: `JOS\u00c9${suffix}`, password: 'correct horse battery' }).expect(200);
    });
  });

  describe('brute-force protection (default: the 11th failure within 15 minutes is 429)', () => {
    it('answers 401 to ten failures, then 429 with Retry-After whatever the password, the right one included', async () => {
      const user = await registerUser(t.http);
      for (let i = 1; i <= 10; i++) expectProblem(await login(t, user.email, `wrong ${i}`), 401);
      const eleventh = await login(t, user.email, 'wrong 11');
      expectProblem(eleventh, 429);
      const retryAfter = Number(eleventh.headers['retry-after']);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      const right = await login(t, user.email, user.password);
      expectProblem(right, 429);
      expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
      expect(right.body).not.toHaveProperty('accessToken');
      // the e-mail's case and spaces do not make a new key
      expectProblem(await login(t, ` ${user.email.toUpperCase()}`, user.password), 429);

      // keyed on address and e-mail: another account from the same address still logs in and fails normally
      const other = await registerUser(t.http);
      await login(t, other.email, other.password).expect(200);
      expectProblem(await login(t, other.email, 'wrong'), 401);
      // registration is not limited: the locked e-mail still gets its 409
      expectProblem(await register(t, { email: user.email, password: PASSWORD }), 409);
    });
  });
});

describe('auth with LOGIN_MAX_FAILURES=3 (client address from the socket: TRUST_PROXY unset)', () => {
  const t = useTestApp({ LOGIN_MAX_FAILURES: '3' });

  it('answers 429 at the 4th failure: the limit is configurable', async () => {
    const user = await registerUser(t.http);
    for (let i = 0; i < 3; i++) expectProblem(await login(t, user.email, 'wrong'), 401);
    expectProblem(await login(t, user.email, user.password), 429);
  });

  it('does not count successful logins, and a success clears that client\'s failures for that e-mail', async () => {
    const user = await registerUser(t.http);
    for (let i = 0; i < 2; i++) expectProblem(await login(t, user.email, 'wrong'), 401);
    for (let i = 0; i < 3; i++) await login(t, user.email, user.password).expect(200);
    // the count starts again after a success: three more failures, not one
    for (let i = 0; i < 3; i++) expectProblem(await login(t, user.email, 'wrong'), 401);
    expectProblem(await login(t, user.email, user.password), 429);
  });

  it('counts an unknown e-mail too', async () => {
    const email = uniqueEmail('ghost');
    for (let i = 0; i < 3; i++) expectProblem(await login(t, email, 'whatever it is'), 401);
    expectProblem(await login(t, email, 'whatever it is'), 429);
  });

  it('never rate-limits registration nor other routes, from an address that is locked out of a login', async () => {
    const locked = await registerUser(t.http);
    for (let i = 0; i < 3; i++) await login(t, locked.email, 'wrong').expect(401);
    expectProblem(await login(t, locked.email, locked.password), 429);
    for (let i = 0; i < 5; i++) await register(t, { email: uniqueEmail('many'), password: PASSWORD }).expect(201);
    for (let i = 0; i < 20; i++) expectInvalid(await register(t, { email: 'nope', password: PASSWORD }), 'email');
    for (let i = 0; i < 20; i++) await request(t.http).get('/users/me').set(locked.auth).expect(200);
    for (let i = 0; i < 20; i++) await request(t.http).get('/health/live').expect(200);
  });

  it('keeps counting whatever X-Forwarded-For a client forges', async () => {
    const user = await registerUser(t.http);
    for (let i = 1; i <= 3; i++) expectProblem(await login(t, user.email, 'wrong', { 'X-Forwarded-For': `198.51.100.${i}` }), 401);
    expectProblem(await login(t, user.email, user.password, { 'X-Forwarded-For': '198.51.100.99' }), 429);
    expectProblem(await login(t, user.email, user.password, { 'X-Forwarded-For': '198.51.100.99, 203.0.113.7', 'X-Real-IP': '203.0.113.8' }), 429);
    expectProblem(await login(t, user.email, user.password), 429);
  });
});

describe('auth with TRUST_PROXY=loopback and LOGIN_MAX_FAILURES=3', () => {
  const t = useTestApp({ LOGIN_MAX_FAILURES: '3', TRUST_PROXY: 'loopback' });

  it('counts per forwarded client address: one client locked out does not lock out another', async () => {
    const user = await registerUser(t.http);
    const attacker = { 'X-Forwarded-For': '203.0.113.10' };
    const victim = { 'X-Forwarded-For': '203.0.113.20' };
    for (let i = 0; i < 3; i++) expectProblem(await login(t, user.email, 'wrong', attacker), 401);
    expectProblem(await login(t, user.email, user.password, attacker), 429);
    await login(t, user.email, user.password, victim).expect(200);
    expectProblem(await login(t, user.email, 'wrong', victim), 401);
    await login(t, user.email, user.password).expect(200); // the proxy's own address is a third client
    expectProblem(await login(t, user.email, user.password, attacker), 429);
  });
});

describe('auth with TRUST_PROXY=1 (a hop count) and LOGIN_MAX_FAILURES=3', () => {
  const t = useTestApp({ LOGIN_MAX_FAILURES: '3', TRUST_PROXY: '1' });

  it('believes one hop of X-Forwarded-For, the one the proxy added, and no more', async () => {
    const user = await registerUser(t.http);
    const attacker = { 'X-Forwarded-For': '203.0.113.10' };
    for (let i = 0; i < 3; i++) expectProblem(await login(t, user.email, 'wrong', attacker), 401);
    expectProblem(await login(t, user.email, user.password, attacker), 429);
    // what the client wrote before the proxy's entry is not believed
    expectProblem(await login(t, user.email, user.password, { 'X-Forwarded-For': '198.51.100.1, 203.0.113.10' }), 429);
    await login(t, user.email, user.password, { 'X-Forwarded-For': '203.0.113.10, 203.0.113.20' }).expect(200);
    await login(t, user.email, user.password).expect(200); // the proxy's own address is another client
  });
});

describe('auth with LOGIN_MAX_FAILURES=1 and LOGIN_WINDOW_SECONDS=2', () => {
  const t = useTestApp({ LOGIN_MAX_FAILURES: '1', LOGIN_WINDOW_SECONDS: '2' });

  it('lets the client in again once the window has passed, as Retry-After said', async () => {
    const user = await registerUser(t.http);
    expectProblem(await login(t, user.email, 'wrong'), 401);
    const refused = await login(t, user.email, user.password);
    expectProblem(refused, 429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    await sleep(retryAfter * 1000 + 250);
    await login(t, user.email, user.password).expect(200);
  });
});
