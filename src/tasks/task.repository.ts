import { randomUUID } from 'node:crypto';
import { EntityRepository, raw, type QueryBuilder } from '@mikro-orm/postgresql';
import { OWNER_FILTER, ownerCondition } from '../database/owner-filter';
import type { VersionCondition } from './etag';
import { Task } from './task.entity';
import type { TaskCursor } from './task-cursor';

export interface TaskChanges {
  title?: string;
  description?: string | null;
  completed?: boolean;
}

/**
 * Every column: MikroORM 6 builds `t0.*` with less work than a list of named columns (it maps and quotes each one),
 * and the only column not answered is the owner's id (see docs/performance.md, "What each measure bought").
 */
const ALL_COLUMNS = '*';

/**
 * A task row as stored, mapped by MikroORM to property names (and Dates), never a managed entity: what the API
 * shows of it, and the owner's id (`user`), which the API never shows (TaskDto.from picks the answered fields).
 */
export type TaskData = Pick<Task, 'id' | 'title' | 'description' | 'completed' | 'createdAt' | 'updatedAt' | 'version'> & { user: string };

/**
 * The tasks data-access layer: the only code that queries Task (the lint rules in eslint.config.mjs enforce it).
 * Every read, update and delete gets its owner condition from MikroORM's `owner` filter: the repository's
 * own methods apply it themselves, and every QueryBuilder here goes through #ownedRows(), which calls
 * applyFilters(). Inserts are not filtered by MikroORM, so a new task's owner is the filter's own
 * parameter, read through the filter's fail-closed condition (#ownerId()): never anything the client sent.
 * Results are plain rows mapped to property names (execute(..., true) without entities): nothing here is
 * managed by the identity map.
 */
export class TaskRepository extends EntityRepository<Task> {
  /** One INSERT ... RETURNING: the answer is the row as stored, defaults included. */
  async createOwned(changes: Required<Pick<TaskChanges, 'title'>> & TaskChanges): Promise<TaskData> {
    const now = new Date();
    const qb = this.createQueryBuilder()
      .insert({
        id: randomUUID(),
        user: this.#ownerId(),
        title: changes.title,
        description: changes.description ?? null,
        completed: changes.completed ?? false,
        createdAt: now,
        updatedAt: now,
      })
      .returning(ALL_COLUMNS);
    // an owner deleted since the request was authenticated hits the foreign key: a 409
    const [created] = await this.#rows(qb);
    return created;
  }

  /** One of the owner's tasks, or undefined (missing and another user's look the same). */
  async findOwned(id: string): Promise<TaskData | undefined> {
    const [task] = await this.#ownedRows(this.createQueryBuilder().select(ALL_COLUMNS).where({ id }));
    return task;
  }

  /** A page in (createdAt desc, id desc) order, after the cursor's position; the (user_id, created_at, id) index serves it. */
  async page(completed: boolean | undefined, after: TaskCursor | undefined, limit: number): Promise<TaskData[]> {
    const qb = this.createQueryBuilder()
      .select(ALL_COLUMNS)
      .where(completed === undefined ? {} : { completed })
      .orderBy({ createdAt: 'desc', id: 'desc' })
      .limit(limit);
    // a row comparison (no ORM operator has it), so PostgreSQL seeks the index to the exact position, ties included
    if (after) qb.andWhere(raw('(created_at, id) < (?, ?)', [after.createdAt, after.id]));
    return this.#ownedRows(qb);
  }

  /**
   * One UPDATE ... RETURNING: applies the changes and raises the version, only when the task is the owner's
   * and (if a condition is given) at a version that meets it. undefined when nothing matched.
   */
  async updateOwned(id: string, changes: TaskChanges, version?: VersionCondition): Promise<TaskData | undefined> {
    const { title, description, completed } = changes;
    // only the fields given: an absent one (undefined) keeps its value
    const set = Object.fromEntries(Object.entries({ title, description, completed }).filter(([, value]) => value !== undefined));
    const qb = this.createQueryBuilder()
      .update({ ...set, version: raw('version + 1'), updatedAt: new Date() })
      .where(version ? { id, version } : { id })
      .returning(ALL_COLUMNS);
    const [updated] = await this.#ownedRows(qb);
    return updated;
  }

  /**
   * One DELETE, only when the task is the owner's and (if a condition is given) at a version that meets it:
   * false when nothing matched. MikroORM applies the owner filter to nativeDelete itself.
   */
  async deleteOwned(id: string, version?: VersionCondition): Promise<boolean> {
    return (await this.nativeDelete(version ? { id, version } : { id })) > 0;
  }

  /** The request's owner, through the filter's own fail-closed condition: for inserts, which MikroORM does not filter. */
  #ownerId(): string {
    return ownerCondition(this.getEntityManager().getFilterParams(OWNER_FILTER)).user;
  }

  /** Runs a QueryBuilder on Task under the owner filter's condition (MikroORM does not apply filters to one by itself). */
  async #ownedRows(qb: QueryBuilder<Task>): Promise<TaskData[]> {
    await qb.applyFilters();
    return this.#rows(qb);
  }

  /**
   * Plain rows mapped to property names (and Dates), not entities: nothing joins the identity map. A QueryBuilder
   * hands on the driver's raw error; converted here as the EntityManager's own calls convert theirs.
   */
  async #rows(qb: QueryBuilder<Task>): Promise<TaskData[]> {
    try {
      return await qb.execute('all', true);
    } catch (error) {
      throw this.getEntityManager().getDriver().convertException(error as Error);
    }
  }
}
