/**
 * A user deletes their account while creating tasks. No orphan task is left, nothing is
 * answered 500, and no create that reaches the service after the deletion was answered succeeds.
 */
import { Resources, summarize } from './support/fixture';
import { isRetryable503, request, registerUser, type HttpResult } from './support/http';
import type { PgInstance } from './support/pg-instance';
import type { ServiceProcess } from './support/service';
import { sleep } from './support/util';

const ROUNDS = 5;
const WRITERS = 8;

describe('deleting a user while that user creates tasks', () => {
  const res = new Resources();
  let pg: PgInstance;
  let service: ServiceProcess;

  beforeAll(async () => {
    pg = await res.pg({ name: 'race' });
    service = await res.service({ name: 'delete-race', env: { DATABASE_URL: pg.appUrl() } });
  });
  afterAll(() => res.teardown());

  it('never leaves an orphan task and never answers 500', async () => {
    const base = service.baseUrl;
    const creates: HttpResult[] = [];
    const deletes: HttpResult[] = [];
    const createdAfterDelete: string[] = [];
    const deletedIds: string[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      const user = await registerUser(base, `race-${round}`);
      let deleteAnsweredAt = Number.POSITIVE_INFINITY;
      let stop = false;
      const writers = Array.from({ length: WRITERS }, async (_, w) => {
        for (let i = 0; !stop && i < 200; i++) {
          const r = await request(base, 'POST', '/tasks', { token: user.token, body: { title: `r${round}-${w}-${i}` }, timeoutMs: 15_000 });
          creates.push(r);
          if (r.status === 201 && r.startedAt > deleteAnsweredAt) createdAfterDelete.push(`${r.body.id} (+${r.startedAt - deleteAnsweredAt} ms)`);
          if (r.startedAt > deleteAnsweredAt + 300) stop = true;
        }
      });
      await sleep(150 + round * 40);
      const del = await request(base, 'DELETE', '/users/me', { token: user.token, timeoutMs: 15_000 });
      deleteAnsweredAt = del.endedAt;
      deletes.push(del);
      if (del.status === 204) deletedIds.push(user.id);
      await Promise.all(writers);
      // the account is gone for good
      expect((await request(base, 'GET', '/users/me', { token: user.token, timeoutMs: 5000 })).status).toBe(401);
      expect((await request(base, 'POST', '/auth/login', { body: { email: user.email, password: user.password }, timeoutMs: 5000 })).status).toBe(401);
    }
    process.stdout.write(`[faults] delete race: creates ${summarize(creates)}; deletes ${summarize(deletes)}\n`);

    expect(deletes.map((d) => d.status)).toEqual(Array(ROUNDS).fill(204));
    const bad = creates.filter((r) => !([201, 401, 404, 409].includes(r.status) || isRetryable503(r)));
    expect(bad.map((r) => `${r.status || r.error} ${r.text.slice(0, 200)}`)).toEqual([]);
    expect(creates.filter((r) => r.status === 201).length).toBeGreaterThan(0); // the race did have creates before the delete
    expect(creates.filter((r) => r.status === 401).length).toBeGreaterThan(0); // and after it
    expect(createdAfterDelete).toEqual([]);

    const orphans = await pg.superQuery('select t.id from tasks t left join users u on u.id = t.user_id where u.id is null', [], 'app');
    expect(orphans).toEqual([]);
    const left = await pg.superQuery('select count(*)::int as n from tasks where user_id = any($1::uuid[])', [deletedIds], 'app');
    expect(left[0].n).toBe(0);
    expect(service.running).toBe(true);
  });
});
