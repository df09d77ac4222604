import request from 'supertest';
import { createTestApp, registerUser, TestApp } from '../support/test-app';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers, creates and lists a task', async () => {
    const user = await registerUser(t.http);
    const created = await request(t.http).post('/tasks').set(user.auth).send({ title: '  Buy milk ' }).expect(201);
    expect(created.body.title).toBe('Buy milk');
    const list = await request(t.http).get('/tasks').set(user.auth).expect(200);
    expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([created.body.id]);
    await request(t.http).get('/health/ready').expect(200);
  });
});
