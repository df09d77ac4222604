import { createHmac, generateKeyPairSync, randomUUID, sign as rsaSign } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request, { Response } from 'supertest';
import { expectNothingMatches } from '../support/problem-assertions';
import { createTestApp, registerUser, RegisteredUser, TEST_JWT_SECRET, TestApp } from '../support/test-app';

// every registration runs argon2id: slow on a busy 2-core machine
jest.setTimeout(120_000);

const ISSUER = 'task-service';
const AUDIENCE = 'task-service';
const now = () => Math.floor(Date.now() / 1000);

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A compact JWS from any header and payload (objects are JSON-encoded, strings used as they are). */
function mint(header: Record<string, unknown>, payload: unknown, key: string | Buffer = TEST_JWT_SECRET): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const alg = String(header.alg);
  const hmac = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  if (!hmac) throw new Error(`mint() signs HS* only, not ${alg}`);
  return `${input}.${createHmac(hmac, key).update(input).digest('base64url')}`;
}

/** Claims the service accepts for this user, overridable one by one (undefined removes a claim). */
function claims(sub: unknown, override: Record<string, unknown> = {}): Record<string, unknown> {
  const all: Record<string, unknown> = { sub, iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 300, ...override };
  for (const key of Object.keys(all)) if (all[key] === undefined) delete all[key];
  return all;
}

const HS256 = { alg: 'HS256', typ: 'JWT' };

describe('JWT attacks', () => {
  let t: TestApp;
  let user: RegisteredUser;
  let other: RegisteredUser;
  /** The 401 for a request with no Authorization header: every other failure must look the same. */
  let baseline: Response;

  beforeAll(async () => {
    t = await createTestApp();
    user = await registerUser(t.http);
    other = await registerUser(t.http);
    baseline = await request(t.http).get('/users/me');
  });
  afterAll(async () => {
    await t.close();
  });

  function me(authorization?: string): request.Test {
    const req = request(t.http).get('/users/me');
    return authorization === undefined ? req : req.set('Authorization', authorization);
  }

  /** 401, problem+json, WWW-Authenticate: Bearer, and the same body as with no header at all. */
  function expectRefused(res: Response): void {
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body).toEqual({ type: expect.any(String), title: expect.any(String), status: 401, detail: expect.any(String) });
    expect(res.body).toEqual(baseline.body);
    expectNothingMatches(res.text, /\n\s+at |jwt |invalid signature|jsonwebtoken|malformed|expired/i);
  }

  describe('controls: the tokens these attacks are built from are otherwise accepted', () => {
    it('no header gives 401 problem+json with WWW-Authenticate: Bearer', () => {
      expect(baseline.status).toBe(401);
      expect(baseline.headers['www-authenticate']).toBe('Bearer');
      expect(baseline.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(baseline.body).toEqual({ type: expect.any(String), title: expect.any(String), status: 401, detail: expect.any(String) });
    });

    it('a token minted here with the right key and claims is 200 (hand-rolled and with jsonwebtoken)', async () => {
      const res = await me(`Bearer ${mint(HS256, claims(user.id))}`).expect(200);
      expect(res.body.id).toBe(user.id);
      const viaLibrary = jwt.sign({ sub: user.id }, TEST_JWT_SECRET, { algorithm: 'HS256', expiresIn: 60, issuer: ISSUER, audience: AUDIENCE });
      expect((await me(`Bearer ${viaLibrary}`).expect(200)).body.id).toBe(user.id);
    });

    it('the issued token is HS256 with sub = user id, iss and aud set, exp = iat + expiresIn, signed with JWT_SECRET’s UTF-8 bytes', async () => {
      const res = await request(t.http).post('/auth/login').send({ email: user.email, password: user.password }).expect(200);
      const decoded = jwt.verify(res.body.accessToken, Buffer.from(TEST_JWT_SECRET, 'utf8'), { algorithms: ['HS256'], complete: true });
      expect(decoded.header.alg).toBe('HS256');
      const payload = decoded.payload as jwt.JwtPayload;
      expect(payload).toEqual(expect.objectContaining({ sub: user.id, iss: ISSUER, aud: AUDIENCE }));
      expect(payload.exp! - payload.iat!).toBe(res.body.expiresIn);
      expect(Math.abs(payload.iat! - now())).toBeLessThanOrEqual(5);
    });

    it('accepts a token that lives exactly JWT_EXPIRES_IN_SECONDS, and one issued a moment ahead of our clock', async () => {
      await me(`Bearer ${mint(HS256, claims(user.id, { iat: now(), exp: now() + 3600 }))}`).expect(200);
      await me(`Bearer ${mint(HS256, claims(user.id, { iat: now() + 2 }))}`).expect(200);
    });

    it('accepts the scheme in any case, with a valid token (RFC 9110 §11.1: the auth-scheme is case-insensitive)', async () => {
      await me(`bearer ${user.token}`).expect(200);
      await me(`BEARER ${user.token}`).expect(200);
    });
  });

  describe('refuses with 401 (problem+json, WWW-Authenticate: Bearer, one body for all)', () => {
    it.each([
      ['an empty Authorization header', ''],
      ['the Basic scheme', `Basic ${Buffer.from('user:password').toString('base64')}`],
      ['the Basic scheme carrying a valid token', 'Basic VALID'],
      ['"Bearer" alone', 'Bearer'],
      ['"Bearer" followed by spaces only', 'Bearer    '],
      ['another scheme name (Token) with a valid token', 'Token VALID'],
      ['a valid token without any scheme', 'VALID'],
      ['"Bearer" glued to a valid token', 'BearerVALID'],
      ['a lower-case scheme with a garbage token', 'bearer x'],
      ['garbage', 'Bearer not-a-jwt'],
      ['three garbage segments', 'Bearer aaa.bbb.ccc'],
      ['two segments', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0'],
      ['a header that is not JSON', `Bearer ${b64url('not json')}.${b64url({ sub: 'x' })}.sig`],
    ])('%s', async (_label, header) => {
      expectRefused(await me(header.replace('VALID', user.token)));
    });

    it('a token in the query string or a cookie instead of the Authorization header', async () => {
      expectRefused(await request(t.http).get(`/users/me?access_token=${user.token}`));
      expectRefused(await request(t.http).get('/users/me').set('Cookie', `access_token=${user.token}; token=${user.token}`));
    });

    describe('algorithm', () => {
      it.each(['none', 'None', 'NONE', 'nOnE'])('alg: %s with no signature', async (alg) => {
        const unsigned = `${b64url({ alg, typ: 'JWT' })}.${b64url(claims(user.id))}.`;
        expectRefused(await me(`Bearer ${unsigned}`));
        expectRefused(await me(`Bearer ${unsigned.slice(0, -1)}`));
      });

      it('alg: none carrying a valid HS256 signature', async () => {
        const signed = mint(HS256, claims(user.id)).split('.');
        expectRefused(await me(`Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${signed[1]}.${signed[2]}`));
      });

      it.each(['HS384', 'HS512'])('%s signed with the right secret', async (alg) => {
        expectRefused(await me(`Bearer ${mint({ alg, typ: 'JWT' }, claims(user.id))}`));
      });

      it('RS256 signed with an RSA key', async () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const input = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims(user.id))}`;
        const token = `${input}.${rsaSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
        expectRefused(await me(`Bearer ${token}`));
      });

      it.each([
        ['crit naming a registered claim', { ...HS256, crit: ['exp'] }],
        ['crit naming an extension, present', { ...HS256, crit: ['urn:example:ext'], 'urn:example:ext': true }],
        ['an empty crit', { ...HS256, crit: [] }],
        ['crit that is not a list', { ...HS256, crit: 'exp' }],
      ])('a crit header (%s), correctly signed: no extension is understood (RFC 7515 §4.1.11)', async (_label, header) => {
        expectRefused(await me(`Bearer ${mint(header, claims(user.id))}`));
      });

      it('RS256 in the header but HMAC-signed with the secret (algorithm confusion)', async () => {
        const input = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims(user.id))}`;
        expectRefused(await me(`Bearer ${input}.${createHmac('sha256', TEST_JWT_SECRET).update(input).digest('base64url')}`));
      });
    });

    describe('key', () => {
      it.each([
        ['another secret', 'another-secret-that-is-at-least-32-characters'],
        ['the secret with one character changed', `${TEST_JWT_SECRET.slice(0, -1)}X`],
        ['the secret plus a character', `${TEST_JWT_SECRET}x`],
        ['the secret base64-decoded', Buffer.from(TEST_JWT_SECRET, 'base64')],
        ['an empty secret', ''],
      ])('signed with %s', async (_label, key) => {
        expectRefused(await me(`Bearer ${mint(HS256, claims(user.id), key)}`));
      });

      it('a tampered signature (one character in the middle changed)', async () => {
        const [h, p, s] = user.token.split('.');
        const flipped = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
        expectRefused(await me(`Bearer ${h}.${p}.${flipped}`));
        expectRefused(await me(`Bearer ${h}.${p}.`));
        expectRefused(await me(`Bearer ${h}.${p}`));
      });

      it('a tampered payload (sub switched to another user, exp extended) under the original signature', async () => {
        const [h, p, s] = user.token.split('.');
        const original = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
        expectRefused(await me(`Bearer ${h}.${b64url({ ...original, sub: other.id })}.${s}`));
        expectRefused(await me(`Bearer ${h}.${b64url({ ...original, exp: now() + 86400 * 365 })}.${s}`));
      });
    });

    describe('time claims (clock tolerance is at most 30 s)', () => {
      it.each([
        ['expired 31 s ago', { exp: now() - 31 }],
        ['expired an hour ago', { iat: now() - 7200, exp: now() - 3600 }],
        ['without exp', { exp: undefined }],
        ['with exp as a string', { exp: String(now() + 3600) }],
        ['with exp null', { exp: null }],
        ['not valid for another 31 s (nbf)', { nbf: now() + 31 }],
        ['not valid for another hour (nbf)', { nbf: now() + 3600 }],
        ['with nbf as a string', { nbf: String(now() - 10) }],
        ['issued 31 s in the future (iat)', { iat: now() + 31 }],
        ['issued an hour in the future (iat), and valid for 5 minutes from then', { iat: now() + 3600, exp: now() + 3900 }],
        ['without iat', { iat: undefined }],
        ['with iat as a string', { iat: String(now()) }],
        ['living 31 s longer than JWT_EXPIRES_IN_SECONDS (exp - iat)', { iat: now(), exp: now() + 3600 + 31 }],
        ['living a year', { exp: now() + 365 * 86400 }],
        ['issued two hours ago and still valid for one (exp - iat)', { iat: now() - 7200, exp: now() + 3600 }],
      ])('%s', async (_label, override) => {
        expectRefused(await me(`Bearer ${mint(HS256, claims(user.id, override))}`));
      });
    });

    describe('issuer and audience', () => {
      it.each([
        ['a wrong iss', { iss: 'someone-else' }],
        ['no iss', { iss: undefined }],
        ['a wrong aud', { aud: 'another-service' }],
        ['an aud list without ours', { aud: ['another-service', 'a-third'] }],
        ['no aud', { aud: undefined }],
      ])('%s', async (_label, override) => {
        expectRefused(await me(`Bearer ${mint(HS256, claims(user.id, override))}`));
      });
    });

    describe('subject (never a 500)', () => {
      it.each([
        ['not a UUID', 'admin'],
        ['empty', ''],
        ['SQL', "' or 1=1 --"],
        ['a UUID with spaces around', ` ${randomUUID()} `],
        ['a number', 1],
        ['a large number', 2 ** 64],
        ['an object holding the user id', { id: 'USER' }],
        ['an array holding the user id', ['USER']],
        ['null', null],
        ['true', true],
        ['the UUID of no user', randomUUID()],
        ['the nil UUID', '00000000-0000-0000-0000-000000000000'],
      ])('sub: %s', async (_label, sub) => {
        const value = JSON.parse(JSON.stringify(sub).replace('USER', user.id)) as unknown;
        expectRefused(await me(`Bearer ${mint(HS256, claims(value))}`));
      });

      it('no sub at all', async () => {
        expectRefused(await me(`Bearer ${mint(HS256, claims(undefined))}`));
      });

      it.each([
        ['a JSON string', '"hello"'],
        ['a JSON array', '[1,2,3]'],
        ['not JSON', 'not json at all'],
        ['JSON null', 'null'],
      ])('a payload that is %s', async (_label, payload) => {
        expectRefused(await me(`Bearer ${mint(HS256, payload)}`));
      });
    });

    describe('a token already accepted (the service remembers verified tokens)', () => {
      it('is refused once it expires, like any other', async () => {
        const token = mint(HS256, claims(user.id, { exp: now() + 60 }));
        await me(`Bearer ${token}`).expect(200);
        await me(`Bearer ${token}`).expect(200);
        const realNow = Date.now();
        const clock = jest.spyOn(Date, 'now').mockReturnValue(realNow + 66_000); // past exp and the clock tolerance
        try {
          expectRefused(await me(`Bearer ${token}`));
        } finally {
          clock.mockRestore();
        }
      });

      it('does not make an altered copy of it acceptable', async () => {
        const token = mint(HS256, claims(user.id));
        await me(`Bearer ${token}`).expect(200);
        const [h, p, s] = token.split('.');
        expectRefused(await me(`Bearer ${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`));
        expectRefused(await me(`Bearer ${h}.${b64url({ ...claims(user.id), sub: other.id })}.${s}`));
      });
    });

    it('a valid token of a user that has since been deleted', async () => {
      const doomed = await registerUser(t.http);
      await me(`Bearer ${doomed.token}`).expect(200);
      await request(t.http).delete('/users/me').set(doomed.auth).expect(204);
      expectRefused(await me(`Bearer ${doomed.token}`));
      expectRefused(await request(t.http).get('/tasks').set(doomed.auth));
    });
  });

  describe('authentication comes before validation: without a valid token every request is 401, and nothing is written', () => {
    const calls: [string, (token?: string) => request.Test][] = [
      ['POST /tasks with an empty body', () => request(t.http).post('/tasks').send({})],
      ['POST /tasks with an invalid title', () => request(t.http).post('/tasks').send({ title: '' })],
      ['POST /tasks with a well-formed body', () => request(t.http).post('/tasks').send({ title: 'Buy milk' })],
      ['POST /tasks with an unknown field', () => request(t.http).post('/tasks').send({ title: 'x', userId: randomUUID() })],
      ['POST /tasks with a NUL in the title', () => request(t.http).post('/tasks').send({ title: 'a\u0000b' })],
      ['POST /tasks with a JSON array body', () => request(t.http).post('/tasks').send([{ title: 'x' }])],
      ['GET /tasks?limit=abc', () => request(t.http).get('/tasks?limit=abc')],
      ['GET /tasks?limit=5&limit=6', () => request(t.http).get('/tasks?limit=5&limit=6')],
      ['GET /tasks?cursor=%00', () => request(t.http).get('/tasks?cursor=%00')],
      ['GET /tasks?unknown=1', () => request(t.http).get('/tasks?unknown=1')],
      ['GET /tasks/not-a-uuid', () => request(t.http).get('/tasks/not-a-uuid')],
      ['GET /tasks/<uuid>', () => request(t.http).get(`/tasks/${randomUUID()}`)],
      ['PATCH /tasks/not-a-uuid with an empty body', () => request(t.http).patch('/tasks/not-a-uuid').send({})],
      ['PATCH /tasks/<uuid> with a well-formed body', () => request(t.http).patch(`/tasks/${randomUUID()}`).send({ completed: true })],
      ['DELETE /tasks/not-a-uuid', () => request(t.http).delete('/tasks/not-a-uuid')],
      ['PATCH /users/me with an empty body', () => request(t.http).patch('/users/me').send({})],
      ['PATCH /users/me with an unknown field', () => request(t.http).patch('/users/me').send({ id: randomUUID() })],
      ['PATCH /users/me with a well-formed body', () => request(t.http).patch('/users/me').send({ name: 'Eve' })],
      ['DELETE /users/me', () => request(t.http).delete('/users/me')],
    ];

    it.each(calls)('%s', async (_label, call) => {
      const before = await t.db.query('select (select count(*) from tasks) as tasks, (select count(*) from users) as users, (select max(updated_at) from users) as touched');
      expectRefused(await call());
      expectRefused(await call().set('Authorization', 'Bearer not-a-jwt'));
      expectRefused(await call().set('Authorization', `Bearer ${mint(HS256, claims(user.id), 'wrong-secret')}`));
      const after = await t.db.query('select (select count(*) from tasks) as tasks, (select count(*) from users) as users, (select max(updated_at) from users) as touched');
      expect(after.rows).toEqual(before.rows);
    });
  });
});

describe('JWT key: JWT_SECRET’s UTF-8 bytes as they are', () => {
  const SECRET = 'clé-secrète-🔑-aGVsbG8=-not-base64-decoded-ÿ';
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ JWT_SECRET: SECRET, JWT_EXPIRES_IN_SECONDS: '120' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts a token signed with the UTF-8 bytes and refuses Latin-1 or base64 readings of the secret', async () => {
    const user = await registerUser(t.http);
    const verified = jwt.verify(user.token, Buffer.from(SECRET, 'utf8'), { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(verified.sub).toBe(user.id);
    expect(verified.exp! - verified.iat!).toBe(120); // JWT_EXPIRES_IN_SECONDS
    // no longer-lived than this service's own tokens, or it would be refused for that
    const claimed = () => claims(user.id, { exp: now() + 120 });
    await request(t.http).get('/users/me').set('Authorization', `Bearer ${mint(HS256, claimed(), Buffer.from(SECRET, 'utf8'))}`).expect(200);
    for (const key of [Buffer.from(SECRET, 'latin1'), Buffer.from(SECRET, 'base64'), Buffer.from(SECRET, 'utf16le')]) {
      const res = await request(t.http).get('/users/me').set('Authorization', `Bearer ${mint(HS256, claimed(), key)}`);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('refuses a token, signed with the right key, that lives longer than JWT_EXPIRES_IN_SECONDS (120) plus the tolerance', async () => {
    const user = await registerUser(t.http);
    const key = Buffer.from(SECRET, 'utf8');
    const res = await request(t.http).get('/users/me').set('Authorization', `Bearer ${mint(HS256, claims(user.id, { exp: now() + 120 + 31 }), key)}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('answers expiresIn = JWT_EXPIRES_IN_SECONDS', async () => {
    const res = await request(t.http).post('/auth/register').send({ email: `expiry-${Date.now()}@example.com`, password: 'correct horse battery' }).expect(201);
    expect(res.body.expiresIn).toBe(120);
  });
});
