import { Injectable } from '@nestjs/common';
import { problem, ProblemException, validationProblem } from '../errors/problem';
import { DEFAULT_PAGE_SIZE, type ListTasksQuery } from './dto/list-tasks.query';
import type { CreateTaskDto } from './dto/create-task.dto';
import type { UpdateTaskDto } from './dto/update-task.dto';
import { failedPrecondition, type Preconditions, versionCondition } from './etag';
import { decodeCursor, encodeCursor } from './task-cursor';
import { TaskRepository, type TaskData } from './task.repository';

/** Another user's task and a missing one give the same answer: existence is not revealed. */
const notFound = () => new ProblemException(problem(404, 'No such task'));

@Injectable()
export class TasksService {
  constructor(private readonly tasks: TaskRepository) {}

  async create(dto: CreateTaskDto): Promise<TaskData> {
    return this.tasks.createOwned({ title: dto.title, description: dto.description, completed: dto.completed });
  }

  async list(query: ListTasksQuery): Promise<{ items: TaskData[]; nextCursor: string | null }> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) throw validationProblem([{ field: 'cursor', message: 'is not a cursor from this service' }]);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.tasks.page(query.completed, after, limit + 1);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
  }

  /**
   * The task, and whether it is not modified for the client (If-None-Match names its ETag, or is `*`: 304).
   * A missing or another user's task is 404 before any precondition is looked at; a false If-Match is 412.
   */
  async get(id: string, conditions: Preconditions = {}): Promise<{ task: TaskData; notModified: boolean }> {
    const task = await this.tasks.findOwned(id);
    if (!task) throw notFound();
    const failed = failedPrecondition(conditions, task.version);
    if (failed === 'If-Match') throw preconditionFailed(conditions, failed);
    return { task, notModified: failed === 'If-None-Match' };
  }

  /** Without preconditions: last write wins. With them: 412, and nothing written, unless the task's version meets them. */
  async update(id: string, dto: UpdateTaskDto, conditions: Preconditions = {}): Promise<TaskData> {
    if (dto.title === undefined && dto.description === undefined && dto.completed === undefined) {
      throw validationProblem([{ field: 'body', message: 'must contain at least one of: title, description, completed' }]);
    }
    const version = versionCondition(conditions);
    const updated = await this.tasks.updateOwned(id, dto, version);
    if (updated) return updated;
    throw await this.#refusal(id, conditions, version !== undefined);
  }

  /** As update: the version condition is part of the DELETE, so a stale precondition deletes nothing. */
  async delete(id: string, conditions: Preconditions = {}): Promise<void> {
    const version = versionCondition(conditions);
    if (await this.tasks.deleteOwned(id, version)) return;
    throw await this.#refusal(id, conditions, version !== undefined);
  }

  /** Why a write matched nothing: a missing (or another user's) task is 404 before its preconditions are looked at. */
  async #refusal(id: string, conditions: Preconditions, conditional: boolean): Promise<ProblemException> {
    const current = conditional ? await this.tasks.findOwned(id) : undefined;
    if (!current) return notFound();
    // if the task changed again after the refusal and now meets them, the write was still refused: name a header it sent
    const failed = failedPrecondition(conditions, current.version) ?? (conditions.ifMatch ? 'If-Match' : 'If-None-Match');
    return preconditionFailed(conditions, failed);
  }
}

/** A 412 that says which precondition failed, and why a weak If-Match tag does. */
function preconditionFailed(conditions: Preconditions, failed: 'If-Match' | 'If-None-Match'): ProblemException {
  if (failed === 'If-None-Match') {
    return new ProblemException(problem(412, conditions.ifNoneMatch?.versions === '*'
      ? 'The task exists, and If-None-Match: * asks that it does not'
      : 'The task is at an ETag listed in If-None-Match'));
  }
  if (conditions.ifMatch?.onlyWeak) {
    return new ProblemException(problem(412, 'If-Match holds only weak entity tags (W/"..."), which never match (If-Match uses strong comparison): send the strong ETag "N"'));
  }
  return new ProblemException(problem(412, 'The task has changed since the ETag in If-Match; fetch it again'));
}
