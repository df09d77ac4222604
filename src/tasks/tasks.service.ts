import { Injectable } from '@nestjs/common';
import { invalidToken } from '../auth/invalid-token';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { DeletedAccountCheck } from '../auth/deleted-account-check';
import { problem, ProblemException, validationProblem } from '../errors/problem';
import { DEFAULT_PAGE_SIZE, type ListTasksQuery } from './dto/list-tasks.query';
import type { CreateTaskDto } from './dto/create-task.dto';
import type { UpdateTaskDto } from './dto/update-task.dto';
import { decodeCursor, encodeCursor } from './task-cursor';
import { TaskRepository, type TaskData } from './task.repository';

/** Another user's task and a missing one give the same answer: existence is not revealed. */
const notFound = () => new ProblemException(problem(404, 'No such task'));

@Injectable()
export class TasksService {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly deletedAccounts: DeletedAccountCheck,
  ) {}

  async create(dto: CreateTaskDto): Promise<TaskData> {
    return this.tasks.createOwned({ title: dto.title, description: dto.description, completed: dto.completed });
  }

  async list(user: AuthenticatedUser, query: ListTasksQuery): Promise<{ items: TaskData[]; nextCursor: string | null }> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) throw validationProblem([{ field: 'cursor', message: 'is not a cursor from this service' }]);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.tasks.page(query.completed, after, limit + 1);
    const items = rows.slice(0, limit);
    // an empty page is what a deleted account would see: its token must be 401 instead
    if (items.length === 0 && (await this.deletedAccounts.isDeleted(user))) throw invalidToken();
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
  }

  async get(id: string): Promise<TaskData> {
    const task = await this.tasks.findOwned(id);
    if (!task) throw notFound();
    return task;
  }

  /** Without If-Match: last write wins. With it: 412 unless the task is at one of the given versions. */
  async update(id: string, dto: UpdateTaskDto, versions: '*' | number[] | undefined): Promise<TaskData> {
    if (dto.title === undefined && dto.description === undefined && dto.completed === undefined) {
      throw validationProblem([{ field: 'body', message: 'must contain at least one of: title, description, completed' }]);
    }
    const updated = await this.tasks.updateOwned(id, dto, versions === '*' ? undefined : versions);
    if (updated) return updated;
    // nothing matched: missing (or another user's) is 404 before If-Match is looked at
    if (versions === undefined || versions === '*' || !(await this.tasks.findOwned(id))) throw notFound();
    throw new ProblemException(problem(412, 'The task has changed since the ETag in If-Match; fetch it again'));
  }

  async delete(id: string): Promise<void> {
    if (!(await this.tasks.deleteOwned(id))) throw notFound();
  }
}
