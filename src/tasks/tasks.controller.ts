import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiNotFoundResponse,
  ApiOkResponse, ApiOperation, ApiParam, ApiPreconditionFailedResponse, ApiResponse, ApiTags, ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ProblemDto } from '../errors/problem.dto';
import { UuidParamPipe } from '../validation/uuid-param.pipe';
import { CreateTaskDto } from './dto/create-task.dto';
import { ListTasksQuery } from './dto/list-tasks.query';
import { TaskDto, TaskPageDto } from './dto/task.dto';
import { UpdateTaskDto } from './dto/update-task.dto';
import { etagOf, parsePreconditions } from './etag';
import type { TaskData } from './task.repository';
import { TasksService } from './tasks.service';

const ETAG_HEADER = { ETag: { description: 'The task version, quoted; send it back in If-Match or If-None-Match', schema: { type: 'string' } } };

/** The precondition headers of the routes on one task (RFC 9110 §13.1): evaluated after the task is found. */
const IF_MATCH = {
  name: 'If-Match',
  required: false,
  description: 'ETags from previous responses, or *; 412 unless the task is at one of them (strong comparison: weak tags W/"..." never match); 400 when not entity tags',
};
const IF_NONE_MATCH = {
  name: 'If-None-Match',
  required: false,
  description: 'ETags from previous responses, or *; weak comparison (W/"3" matches "3"); 400 when not entity tags',
};

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
  async list(@Query() query: ListTasksQuery): Promise<TaskPageDto> {
    const page = await this.tasks.list(query);
    return { items: page.items.map(TaskDto.from), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One task; with If-None-Match, 304 when the client already has its current version' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiHeader({ ...IF_NONE_MATCH, description: `${IF_NONE_MATCH.description}; 304 when the task's ETag is listed, or for *` })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: TaskDto, headers: ETAG_HEADER })
  @ApiResponse({ status: 304, description: 'Not modified: If-None-Match lists the current ETag (or is *); no body', headers: ETAG_HEADER })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such task, or another user’s' })
  @ApiPreconditionFailedResponse({ type: ProblemDto, description: 'If-Match does not match the current ETag (weak tags never match)' })
  async get(
    @Param('id', UuidParamPipe) id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<TaskDto | undefined> {
    const conditions = parsePreconditions(ifMatch, ifNoneMatch); // 400 naming the header when it is not entity tags
    const { task, notModified } = await this.tasks.get(id, conditions);
    const dto = this.withEtag(task, res);
    if (!notModified) return dto;
    void res.status(304); // no body: the client's copy is current
    return undefined;
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change one or more fields; with If-Match, only if the task is still at that version' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiHeader({ ...IF_MATCH, description: `${IF_MATCH.description}; without it, last write wins` })
  @ApiHeader({ ...IF_NONE_MATCH, description: `${IF_NONE_MATCH.description}; 412 when the task's ETag is listed, or for * (the task exists)` })
  @ApiOkResponse({ type: TaskDto, headers: ETAG_HEADER })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such task, or another user’s' })
  @ApiPreconditionFailedResponse({ type: ProblemDto, description: 'A precondition failed (If-Match not the current ETag, If-None-Match listing it or *); nothing was changed' })
  async update(
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: UpdateTaskDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<TaskDto> {
    const conditions = parsePreconditions(ifMatch, ifNoneMatch); // 400 naming the header when it is not entity tags
    return this.withEtag(await this.tasks.update(id, dto, conditions), res);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a task; with If-Match, only if the task is still at that version' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiHeader({ ...IF_MATCH, description: `${IF_MATCH.description}; without it, the task is deleted whatever its version` })
  @ApiHeader({ ...IF_NONE_MATCH, description: `${IF_NONE_MATCH.description}; 412 when the task's ETag is listed, or for * (the task exists)` })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such task, or another user’s' })
  @ApiPreconditionFailedResponse({ type: ProblemDto, description: 'A precondition failed (If-Match not the current ETag, If-None-Match listing it or *); nothing was deleted' })
  async delete(
    @Param('id', UuidParamPipe) id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
  ): Promise<void> {
    await this.tasks.delete(id, parsePreconditions(ifMatch, ifNoneMatch)); // 400 naming the header when it is not entity tags
  }

  private withEtag(task: TaskData, res: FastifyReply): TaskDto {
    res.header('ETag', etagOf(task.version));
    return TaskDto.from(task);
  }
}
