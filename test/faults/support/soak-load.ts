import type http from 'node:http';
import type { ApiTask } from '../../support/tasks';
import { isRetryable503, listAllTasks, request, type HttpResult, type TestUser } from './http';
import { sleep } from './util';

/** A request slower than this is counted as over the budget. */
export const BUDGET_MS = 5000;
const MAX_LIVE_TASKS = 40;

interface TaskState {
  title: string;
  description: string;
  completed: boolean;
}

/** What a worker knows of one of its tasks: the last acknowledged state, and states that may have been applied. */
export interface Tracked {
  id?: string; // unknown for a create whose answer was lost
  acked: TaskState | null; // null: its create was not acknowledged
  possible: TaskState[]; // failed writes after the last acknowledged one
  deleted: 'no' | 'acked' | 'maybe';
}

/** What the soak saw: every answer counted, and every broken promise (a lost write, a 500, a hang) noted. */
export class SoakStats {
  requests = 0;
  byStatus: Record<string, number> = {};
  byOp: Record<string, number> = {};
  overBudget = 0;
  latencies: number[] = [];
  violations: string[] = [];
  acked = { creates: 0, updates: 0, deletes: 0 };
  failedWrites = 0;

  count(op: string, r: HttpResult): HttpResult {
    this.requests++;
    const key = r.status ? String(r.status) : `net:${r.error}`;
    this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
    this.byOp[op] = (this.byOp[op] ?? 0) + 1;
    this.latencies.push(r.ms);
    if (r.ms > BUDGET_MS) this.overBudget++;
    if (r.status >= 500 && !isRetryable503(r)) this.violations.push(`${op}: ${r.status} ${r.text.slice(0, 200)}`);
    if (r.status === 0) this.violations.push(`${op}: no answer (${r.error}) after ${r.ms} ms`);
    return r;
  }
}

const same = (a: TaskState, b: { title: string; description: string | null; completed: boolean }) =>
  a.title === b.title && a.description === b.description && a.completed === b.completed;

export interface WorkerOptions {
  base: string;
  user: TestUser;
  stopAt: number;
  agent: http.Agent;
  /** between a worker's requests */
  pauseMs: number;
}

/** One user's load until stopAt: 35 % create, 25 % update, 10 % delete, 15 % list, 12 % get, 3 % rename. */
export async function worker(w: number, stats: SoakStats, { base, user, stopAt, agent, pauseMs }: WorkerOptions): Promise<Tracked[]> {
  const tasks: Tracked[] = [];
  const opts = { token: user.token, agent, timeoutMs: 20_000 };
  for (let n = 0; Date.now() < stopAt; n++) {
    const live = tasks.filter((t) => t.id && t.acked && t.deleted === 'no');
    const roll = Math.random();
    if (live.length === 0 || (roll < 0.35 && live.length < MAX_LIVE_TASKS)) {
      const state: TaskState = { title: `soak-${w}-${n}`, description: `d-${w}-${n}`, completed: false };
      const r = stats.count('create', await request(base, 'POST', '/tasks', { ...opts, body: state }));
      if (r.status === 201) {
        tasks.push({ id: r.body.id, acked: state, possible: [], deleted: 'no' });
        stats.acked.creates++;
      } else {
        tasks.push({ acked: null, possible: [state], deleted: 'no' });
        stats.failedWrites++;
      }
    } else if (roll < 0.6) {
      const t = live[Math.floor(Math.random() * live.length)];
      const state: TaskState = { title: `soak-${w}-${n}-u`, description: `d-${w}-${n}-u`, completed: n % 2 === 0 };
      const r = stats.count('update', await request(base, 'PATCH', `/tasks/${t.id}`, { ...opts, body: state }));
      if (r.status === 200) {
        t.acked = state;
        t.possible = [];
        stats.acked.updates++;
      } else {
        t.possible.push(state);
        stats.failedWrites++;
      }
    } else if (roll < 0.7 || live.length >= MAX_LIVE_TASKS) {
      const t = live[Math.floor(Math.random() * live.length)];
      const r = stats.count('delete', await request(base, 'DELETE', `/tasks/${t.id}`, opts));
      if (r.status === 204) {
        t.deleted = 'acked';
        stats.acked.deletes++;
      } else {
        t.deleted = 'maybe';
        stats.failedWrites++;
      }
    } else if (roll >= 0.97) {
      // the account's own write (a flush: BEGIN ... COMMIT), checked like the others by its answer
      stats.count('rename', await request(base, 'PATCH', '/users/me', { ...opts, body: { name: `w${w}-${n}` } }));
    } else if (roll < 0.85) {
      stats.count('list', await request(base, 'GET', '/tasks?limit=20', opts));
    } else {
      const t = live[Math.floor(Math.random() * live.length)];
      const r = stats.count('get', await request(base, 'GET', `/tasks/${t.id}`, opts));
      // a read of a task whose last write was acknowledged must see that write (or a later, unacknowledged one)
      if (r.status === 200 && t.acked && ![t.acked, ...t.possible].some((s) => same(s, r.body))) {
        stats.violations.push(`read of ${t.id} saw ${JSON.stringify(r.body)} (acknowledged: ${JSON.stringify(t.acked)})`);
      }
      if (r.status === 404 && t.deleted === 'no') stats.violations.push(`read of ${t.id}: 404, never deleted`);
    }
    if (pauseMs) await sleep(pauseMs);
  }
  return tasks;
}

/** Every acknowledged write is in the database as acknowledged (or overwritten by a later unacknowledged one). */
export async function verify(stats: SoakStats, base: string, user: TestUser, tasks: Tracked[]): Promise<number> {
  const all: ApiTask[] = await listAllTasks(base, user.token);
  const byId = new Map(all.map((t) => [t.id, t]));
  let checked = 0;
  const claimed = new Set<string>();
  for (const t of tasks) {
    if (t.id) {
      claimed.add(t.id);
      const row = byId.get(t.id);
      checked++;
      if (t.deleted === 'acked' && row) stats.violations.push(`task ${t.id}: deleted (204) but still there`);
      if (t.deleted === 'no' && !row) stats.violations.push(`task ${t.id}: acknowledged, never deleted, missing`);
      if (row && t.acked && ![t.acked, ...t.possible].some((s) => same(s, row))) {
        stats.violations.push(`task ${t.id}: ${JSON.stringify(row)} is none of the acknowledged/attempted states`);
      }
    }
  }
  // rows not acknowledged as created must come from an unacknowledged create, once at most, and be whole
  const unacked = new Map(tasks.filter((t) => !t.id).map((t) => [t.possible[0].title, t.possible[0]]));
  const seen = new Set<string>();
  for (const row of all) {
    if (claimed.has(row.id)) continue;
    const state = unacked.get(row.title);
    if (!state) stats.violations.push(`task ${row.id} (${row.title}) was never created by this client`);
    else if (seen.has(row.title)) stats.violations.push(`unacknowledged create ${row.title} applied twice`);
    else if (row.description !== state.description) stats.violations.push(`task ${row.id} half-written: ${JSON.stringify(row)}`);
    seen.add(row.title);
  }
  return checked;
}
