import { EntityRepository, raw, type FilterQuery } from '@mikro-orm/postgresql';
import { OWNER_FILTER, ownerCondition } from '../database/owner-filter';
import { User } from '../users/user.entity';
import { Task } from './task.entity';
import type { TaskCursor } from './task-cursor';

export interface TaskChanges {
  title?: string;
  description?: string | null;
  completed?: boolean;
}

/**
 * The tasks data-access layer: the only code allowed to query Task (src/structure.spec.ts checks this).
 * Everything goes through the `owner` filter; the one hand-written statement takes its owner from that
 * filter's parameter through the same fail-closed ownerCondition().
 */
export class TaskRepository extends EntityRepository<Task> {
  /** The owner of this request, from the owner filter's parameter; throws when unset. */
  private ownerId(): string {
    return ownerCondition(this.getEntityManager().getFilterParams(OWNER_FILTER)).user;
  }

  async createOwned(changes: Required<Pick<TaskChanges, 'title'>> & TaskChanges): Promise<Task> {
    const em = this.getEntityManager();
    const task = new Task(em.getReference(User, this.ownerId(), { wrapped: true }), changes.title, changes.description ?? null, changes.completed ?? false);
    // one INSERT, no BEGIN/COMMIT around it: a single statement is atomic by itself
    await em.insert(task);
    return task;
  }

  /** A page in (createdAt desc, id desc) order, after the cursor's position; the index serves it. */
  page(completed: boolean | undefined, after: TaskCursor | undefined, limit: number): Promise<Task[]> {
    const where: FilterQuery<Task> = {};
    if (completed !== undefined) where.completed = completed;
    if (after) {
      // a row comparison, so PostgreSQL seeks the index to the exact (created_at, id) position, ties included;
      // the owner filter still adds its user_id condition beside it
      where.$and = [{ [raw((alias) => `(${alias}.created_at, ${alias}.id) < (?, ?)`, [after.createdAt, after.id])]: [] }];
    }
    return this.find(where, { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit });
  }

  /**
   * One statement: applies the changes, raises the version, and returns the row, only when the task is
   * the owner's and (if versions are given) at one of those versions. undefined when nothing matched.
   */
  async updateOwned(id: string, changes: TaskChanges, versions?: number[]): Promise<Task | undefined> {
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of [['title', changes.title], ['description', changes.description], ['completed', changes.completed]] as const) {
      if (value === undefined) continue;
      sets.push(`"${column}" = ?`);
      params.push(value);
    }
    sets.push('"version" = "version" + 1', '"updated_at" = ?');
    params.push(new Date(), id, this.ownerId());
    let sql = `update "tasks" set ${sets.join(', ')} where "id" = ? and "user_id" = ?`;
    if (versions) {
      sql += versions.length > 0 ? ` and "version" in (${versions.map(() => '?').join(', ')})` : ' and false';
      params.push(...versions);
    }
    const em = this.getEntityManager();
    const rows = await em.execute<Record<string, unknown>[]>(`${sql} returning *`, params, 'all');
    return rows.length > 0 ? em.map(Task, rows[0]) : undefined;
  }

  async deleteOwned(id: string): Promise<boolean> {
    return (await this.nativeDelete({ id })) > 0;
  }
}
