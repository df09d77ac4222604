import { randomUUID } from 'node:crypto';
import { EntityRepository } from '@mikro-orm/postgresql';
import { runFixedStatement } from '../database/fixed-statement';
import { OWNER_FILTER, ownerCondition } from '../database/owner-filter';
import { isoFromTimestamptz } from '../database/timestamptz-text';
import { Task } from './task.entity';
import type { TaskCursor } from './task-cursor';

export interface TaskChanges {
  title?: string;
  description?: string | null;
  completed?: boolean;
}

/** A task as the API shows it: plain data, no entity (nothing on the request path needs a managed one); ISO timestamps. */
export type TaskData = Pick<Task, 'id' | 'title' | 'description' | 'completed' | 'version'> & { createdAt: string; updatedAt: string };

/** The columns of TaskData under their property names (timestamps arrive as PostgreSQL's text: see query()). */
const TASK_COLUMNS = '"id", "title", "description", "completed", "created_at" as "createdAt", "updated_at" as "updatedAt", "version"';

/**
 * The tasks data-access layer: the only code allowed to query Task (src/structure.spec.ts checks this).
 * Every statement is restricted by the `owner` filter: ORM calls get it from MikroORM, and the hand-written
 * statements of the request path (one fixed SQL string each: building SQL and hydrating entities through the
 * ORM cost more CPU than the rest of the request) take their user_id from that filter's parameter, through the
 * filter's own fail-closed condition (ownerId()).
 */
export class TaskRepository extends EntityRepository<Task> {
  /** The owner of this request: the `owner` filter's parameter, through the filter's own fail-closed condition. */
  private ownerId(): string {
    return ownerCondition(this.getEntityManager().getFilterParams(OWNER_FILTER)).user;
  }

  /** One INSERT, no BEGIN/COMMIT around it (a single statement is atomic by itself), values as the entity's defaults. */
  async createOwned(changes: Required<Pick<TaskChanges, 'title'>> & TaskChanges): Promise<TaskData> {
    const owner = this.ownerId();
    const now = new Date().toISOString();
    const task: TaskData = {
      id: randomUUID(), title: changes.title, description: changes.description ?? null, completed: changes.completed ?? false,
      createdAt: now, updatedAt: now, version: 1,
    };
    // a deleted owner hits the foreign key (409), which the exception filter answers 401 (DeletedAccountCheck)
    await runFixedStatement(
      this.getEntityManager(),
      'insert into "tasks" ("id", "user_id", "title", "description", "completed", "created_at", "updated_at", "version") values ($1, $2, $3, $4, $5, $6, $7, $8)',
      [task.id, owner, task.title, task.description, task.completed, task.createdAt, task.updatedAt, task.version],
    );
    return task;
  }

  /** One of the owner's tasks, or undefined (missing and another user's look the same). */
  async findOwned(id: string): Promise<TaskData | undefined> {
    const rows = await this.query(`select ${TASK_COLUMNS} from "tasks" where "id" = $1 and "user_id" = $2`, [id, this.ownerId()]);
    return rows[0];
  }

  /** A page in (createdAt desc, id desc) order, after the cursor's position; the (user_id, created_at, id) index serves it. */
  async page(completed: boolean | undefined, after: TaskCursor | undefined, limit: number): Promise<TaskData[]> {
    const params = new StatementParameters(this.ownerId());
    let sql = `select ${TASK_COLUMNS} from "tasks" where "user_id" = $1`;
    if (completed !== undefined) sql += ` and "completed" = ${params.add(completed)}`;
    // a row comparison, so PostgreSQL seeks the index to the exact (created_at, id) position, ties included
    if (after) sql += ` and ("created_at", "id") < (${params.add(after.createdAt)}, ${params.add(after.id)})`;
    return this.query(`${sql} order by "created_at" desc, "id" desc limit ${integerLiteral(limit)}`, params.values);
  }

  /**
   * One statement: applies the changes, raises the version, and returns the row, only when the task is
   * the owner's and (if versions are given) at one of those versions. undefined when nothing matched.
   */
  async updateOwned(id: string, changes: TaskChanges, versions?: number[]): Promise<TaskData | undefined> {
    const params = new StatementParameters(id, this.ownerId());
    const sets: string[] = [];
    for (const [column, value] of [['title', changes.title], ['description', changes.description], ['completed', changes.completed]] as const) {
      if (value !== undefined) sets.push(`"${column}" = ${params.add(value)}`);
    }
    sets.push('"version" = "version" + 1', `"updated_at" = ${params.add(new Date())}`);
    let sql = `update "tasks" set ${sets.join(', ')} where "id" = $1 and "user_id" = $2`;
    // one parameter for the whole list, so that the statement's text (and its prepared name) stays the same
    if (versions) sql += ` and "version" = any(${params.add(versions)}::integer[])`;
    const rows = await this.query(`${sql} returning ${TASK_COLUMNS}`, params.values);
    return rows[0];
  }

  async deleteOwned(id: string): Promise<boolean> {
    return (await this.nativeDelete({ id })) > 0;
  }

  /** Runs on this request's EntityManager (its transaction, if any), errors converted as ORM calls' are. */
  private async query(sql: string, params: unknown[]): Promise<TaskData[]> {
    const em = this.getEntityManager();
    const rows = await runFixedStatement<TaskData>(em, sql, params);
    const platform = em.getPlatform();
    const parse = (text: string) => platform.parseDate(text) as Date;
    for (const row of rows) {
      row.createdAt = isoFromTimestamptz(row.createdAt, parse);
      row.updatedAt = isoFromTimestamptz(row.updatedAt, parse);
    }
    return rows;
  }
}

/**
 * A page size written into the statement, not bound: for `limit $n` PostgreSQL's generic plan assumes a tenth of
 * the owner's rows, so on a large table a prepared statement would be planned afresh on every run. A page size
 * is a validated integer of at most 101, so each form of the query has at most 101 texts.
 */
function integerLiteral(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer: ${value}`);
  return String(value);
}

/** The values of a statement's parameters, in order; add() gives the placeholder ($n) for the next one. */
class StatementParameters {
  readonly values: unknown[];

  constructor(...values: unknown[]) {
    this.values = values;
  }

  add(value: unknown): string {
    return `$${this.values.push(value)}`;
  }
}
