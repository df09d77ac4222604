import { ApiProperty } from '@nestjs/swagger';
import type { TaskData } from '../task.repository';

export class TaskDto {
  @ApiProperty({ format: 'uuid', example: '0b6f4f2e-5d0c-4b8e-9a3e-1f2d3c4b5a69' })
  id!: string;

  @ApiProperty({ example: 'Buy milk' })
  title!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Two litres, semi-skimmed' })
  description!: string | null;

  @ApiProperty({ example: false })
  completed!: boolean;

  @ApiProperty({ format: 'date-time', example: '2026-01-31T12:00:00.123Z', description: 'UTC, millisecond precision' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-31T12:00:00.123Z' })
  updatedAt!: string;

  @ApiProperty({ example: 1, description: 'Raised by every update; the ETag is its quoted value' })
  version!: number;

  static from(task: TaskData): TaskDto {
    return {
      id: task.id,
      title: task.title,
      description: task.description,
      completed: task.completed,
      createdAt: task.createdAt.toISOString(),
      updatedAt: task.updatedAt.toISOString(),
      version: task.version,
    };
  }
}

export class TaskPageDto {
  @ApiProperty({ type: [TaskDto] })
  items!: TaskDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page', example: null })
  nextCursor!: string | null;
}
