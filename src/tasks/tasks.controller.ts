import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiNotFoundResponse,
  ApiOkResponse, ApiOperation, ApiParam, ApiPreconditionFailedResponse, ApiTags, ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { problem, ProblemException } from '../errors/problem';
import { ProblemDto } from '../errors/problem.dto';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { CreateTaskDto } from './dto/create-task.dto';
import { ListTasksQuery } from './dto/list-tasks.query';
import { TaskDto, TaskPageDto } from './dto/task.dto';
import { UpdateTaskDto } from './dto/update-task.dto';
import { etagOf, parseIfMatch } from './etag';
import type { TaskData } from './task.repository';
import { TasksService } from './tasks.service';

const ETAG_HEADER = { ETag: { description: 'The task version, quoted; send it back in If-Match', schema: { type: 'string' } } };

@ApiTags('tasks')
@ApiBearerAuth('bearer')
@ApiUnauthorizedResponse({ type: ProblemDto, description: 'Missing or invalid bearer token' })
@ApiBadRequestResponse({ type: ProblemDto, description: 'Invalid id, body or query (problem+json with `errors`)' })
@Controller('tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Post()
  @ApiOperation({ summary: 'Create a task owned by the caller' })
  @ApiCreatedResponse({ type: TaskDto, headers: { ...ETAG_HEADER, Location: { description: '/tasks/{id}', schema: { type: 'string' } } } })
  async create(@Body() dto: CreateTaskDto, @Res({ passthrough: true }) res: FastifyReply): Promise<TaskDto> {
    const task = await this.tasks.create(dto);
    res.header('Location', `/tasks/${task.id}`);
    return this.withEtag(task, res);
  }

  @Get()
  @ApiOperation({ summary: "The caller's tasks, newest first (createdAt desc, then id desc), in keyset pages" })
  @ApiOkResponse({ type: TaskPageDto })
  async list(@CurrentUser() user: AuthenticatedUser, @Query() query: ListTasksQuery): Promise<TaskPageDto> {
    const page = await this.tasks.list(user, query);
    return { items: page.items.map(TaskDto.from), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One task' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: TaskDto, headers: ETAG_HEADER })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such task, or another user’s' })
  async get(@Param('id', UuidParamPipe) id: string, @Res({ passthrough: true }) res: FastifyReply): Promise<TaskDto> {
    return this.withEtag(await this.tasks.get(id), res);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change one or more fields; with If-Match, only if the task is still at that version' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'An ETag from a previous response; 412 when the task has changed since, or when only weak tags (W/"...") are given; 400 when not entity tags',
  })
  @ApiOkResponse({ type: TaskDto, headers: ETAG_HEADER })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such task, or another user’s' })
  @ApiPreconditionFailedResponse({ type: ProblemDto, description: 'If-Match does not match the current ETag (weak tags never match)' })
  async update(
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: UpdateTaskDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<TaskDto> {
    const condition = parseIfMatch(ifMatch); // 400 naming If-Match when it is not entity tags
    try {
      return this.withEtag(await this.tasks.update(id, dto, condition?.versions), res);
    } catch (error) {
      // weak tags never match for a PATCH (RFC 9110 strong comparison): say so rather than "has changed"
      if (condition?.onlyWeak && error instanceof ProblemException && error.problem.status === 412) {
        throw new ProblemException(problem(412, 'If-Match holds only weak entity tags (W/"..."), which never match for PATCH: send the strong ETag "N"'));
      }
      throw error;
    }
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a task' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such task, or another user’s' })
  async delete(@Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.tasks.delete(id);
  }

  private withEtag(task: TaskData, res: FastifyReply): TaskDto {
    res.header('ETag', etagOf(task.version));
    return TaskDto.from(task);
  }
}
