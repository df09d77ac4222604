import request, { Response } from 'supertest';
import { expectInvalid, expectProblem } from '../support/problem-assertions';
import { taskCount } from '../support/tasks';
import { registerUser, RegisteredUser, TestApp, useTestApp } from '../support/test-app';

// every registration and login runs argon2id: slow on a busy 2-core machine
jest.setTimeout(120_000);

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Success bodies: never the password or its hash, under any spelling. */
function expectNoSecret(res: Response): void {
  expect(res.text).not.toMatch(/password|\$argon2/i);
}

async function storedUser(t: TestApp, id: string): Promise<{ email: string; name: string | null; created_at: Date; updated_at: Date } | undefined> {
  const { rows } = await t.db.query('select email, name, created_at, updated_at from users where id = $1', [id]);
  return rows[0];
}

describe('users', () => {
  const t = useTestApp();
  let user: RegisteredUser;
  beforeAll(async () => {
    user = await registerUser(t.http);
  });

  describe('GET /users/me', () => {
    it('answers 200 with exactly { id, email, name, createdAt, updatedAt }', async () => {
      const res = await request(t.http).get('/users/me').set(user.auth).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ id: user.id, email: user.email, name: null, createdAt: expect.stringMatching(ISO_UTC), updatedAt: expect.stringMatching(ISO_UTC) });
      expectNoSecret(res);
      const row = await storedUser(t, user.id);
      expect(res.body.createdAt).toBe(row!.created_at.toISOString());
    });

    it('answers 401 problem+json without a token', async () => {
      const res = await request(t.http).get('/users/me');
      expectProblem(res, 401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    });
  });

  describe('PATCH /users/me', () => {
    it('changes the name, stores it, and raises updatedAt', async () => {
      const before = await request(t.http).get('/users/me').set(user.auth).expect(200);
      const res = await request(t.http).patch('/users/me').set(user.auth).send({ name: 'Ada King' }).expect(200);
      expect(res.body).toEqual({ ...before.body, name: 'Ada King', updatedAt: expect.stringMatching(ISO_UTC) });
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(before.body.updatedAt));
      expectNoSecret(res);
      expect((await storedUser(t, user.id))!.name).toBe('Ada King');
      const after = await request(t.http).get('/users/me').set(user.auth).expect(200);
      expect(after.body).toEqual(res.body);
    });

    it('stores a name of 100 characters exactly as sent (not trimmed)', async () => {
      const name = ` ${'n'.repeat(98)} `;
      const res = await request(t.http).patch('/users/me').set(user.auth).send({ name }).expect(200);
      expect(res.body.name).toBe(name);
      expect((await storedUser(t, user.id))!.name).toBe(name);
    });

    it('clears the name with null', async () => {
      await request(t.http).patch('/users/me').set(user.auth).send({ name: 'To be cleared' }).expect(200);
      const res = await request(t.http).patch('/users/me').set(user.auth).send({ name: null }).expect(200);
      expect(res.body.name).toBeNull();
      expect((await storedUser(t, user.id))!.name).toBeNull();
    });

    it('refuses a lone surrogate in a name: 400 naming name', async () => {
      expectInvalid(await request(t.http).patch('/users/me').set(user.auth).send({ name: '\ud83d' }), 'name');
    });

    it('accepts a well-formed pair (an emoji)', async () => {
      await request(t.http).patch('/users/me').set(user.auth).send({ name: 'Ada \ud83d\ude00' }).expect(200);
    });

    describe('answers 400 and writes nothing', () => {
      beforeEach(async () => {
        await request(t.http).patch('/users/me').set(user.auth).send({ name: 'Kept' }).expect(200);
      });

      async function expectUnchanged(change: () => Promise<Response>, field: string): Promise<void> {
        const before = await storedUser(t, user.id);
        expectInvalid(await change(), field);
        expect(await storedUser(t, user.id)).toEqual(before);
      }

      it('for an empty object (at least one field is needed)', async () => {
        await expectUnchanged(() => request(t.http).patch('/users/me').set(user.auth).send({}), 'body');
      });

      it.each([
        ['name', 'empty', { name: '' }],
        ['name', '101 characters', { name: 'n'.repeat(101) }],
        ['name', '101 code points, the last a variation selector', { name: `${'n'.repeat(100)}\uFE0F` }],
        ['name', 'a number', { name: 5 }],
        ['name', 'a boolean', { name: true }],
        ['email', 'sent (the e-mail cannot be changed here)', { email: 'other@example.com' }],
        ['password', 'sent', { password: 'a new password' }],
        ['passwordHash', 'sent', { passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$x$y' }],
        ['id', 'sent', { id: '00000000-0000-4000-8000-000000000000', name: 'Hijack' }],
        ['createdAt', 'sent', { createdAt: '2000-01-01T00:00:00.000Z', name: 'Old' }],
      ])('when %s is %s', async (field, _label, body) => {
        await expectUnchanged(() => request(t.http).patch('/users/me').set(user.auth).send(body), field);
      });

      it('for a body that is not a JSON object', async () => {
        await expectUnchanged(() => request(t.http).patch('/users/me').set(user.auth).send([{ name: 'x' }]), 'body');
      });
    });
  });

  describe('DELETE /users/me', () => {
    let doomed: RegisteredUser;
    let bystander: RegisteredUser;

    beforeAll(async () => {
      doomed = await registerUser(t.http);
      bystander = await registerUser(t.http);
      for (const owner of [doomed, doomed, doomed, bystander, bystander]) {
        await request(t.http).post('/tasks').set(owner.auth).send({ title: `task of ${owner.email}` }).expect(201);
      }
      expect(await taskCount(t.db, doomed.id)).toBe(3);
    });

    it('answers 204 with no body, and removes the account and every task it owned, and only those', async () => {
      const res = await request(t.http).delete('/users/me').set(doomed.auth).expect(204);
      expect(res.text).toBe('');
      expect(await storedUser(t, doomed.id)).toBeUndefined();
      expect(await taskCount(t.db, doomed.id)).toBe(0);
      expect(await taskCount(t.db, bystander.id)).toBe(2);
      await request(t.http).get('/users/me').set(bystander.auth).expect(200);
    });

    it('refuses the deleted account’s token with 401 from then on, on every route', async () => {
      const calls = [
        () => request(t.http).get('/users/me'),
        () => request(t.http).patch('/users/me').send({ name: 'ghost' }),
        () => request(t.http).delete('/users/me'),
        () => request(t.http).get('/tasks'),
        () => request(t.http).post('/tasks').send({ title: 'orphan' }),
      ];
      for (const call of calls) {
        const res = await call().set(doomed.auth);
        expectProblem(res, 401);
        expect(res.headers['www-authenticate']).toBe('Bearer');
      }
      expect(await taskCount(t.db, doomed.id)).toBe(0);
    });

    it('refuses the deleted account’s password, and lets the e-mail register again as a new account', async () => {
      expectProblem(await request(t.http).post('/auth/login').send({ email: doomed.email, password: doomed.password }), 401);
      const again = await request(t.http).post('/auth/register').send({ email: doomed.email, password: doomed.password }).expect(201);
      expect(again.body.user.id).not.toBe(doomed.id);
      // the old token names the old id: still refused
      expectProblem(await request(t.http).get('/users/me').set(doomed.auth), 401);
      await request(t.http).get('/users/me').set('Authorization', `Bearer ${again.body.accessToken}`).expect(200);
    });
  });

  it('never answers a password or its hash, on any users or auth route', async () => {
    const email = `secret-${Date.now()}@example.com`;
    const password = 'a very secret password';
    const answers = [await request(t.http).post('/auth/register').send({ email, password, name: 'S' })];
    const auth = { Authorization: `Bearer ${answers[0].body.accessToken}` };
    answers.push(await request(t.http).post('/auth/login').send({ email, password }));
    answers.push(await request(t.http).get('/users/me').set(auth));
    answers.push(await request(t.http).patch('/users/me').set(auth).send({ name: 'T' }));
    for (const res of answers) {
      expect(res.status).toBeLessThan(300);
      expectNoSecret(res);
      expect(res.text).not.toContain(password);
    }
    // the errors that echo the request (409, 400) do not carry it either
    for (const res of [
      await request(t.http).post('/auth/register').send({ email, password }),
      await request(t.http).post('/auth/login').send({ email, password: 'wrong password!' }),
    ]) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.text).not.toContain(password);
      expect(res.text).not.toMatch(/\$argon2|password_?hash/i);
    }
  });
});
