import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsString, Max, Min, ValidateIf } from 'class-validator';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Query strings arrive as text: only the exact spellings are converted, anything else fails validation. */
export class ListTasksQuery {
  // no examples here: Swagger UI would pre-fill them into "Try it out"
  @ApiPropertyOptional({ type: Boolean, description: 'Only completed (true) or open (false) tasks' })
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @ValidateIf((query: ListTasksQuery) => query.completed !== undefined)
  @IsBoolean({ message: 'must be true or false' })
  completed?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'Page size' })
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value))
  @ValidateIf((query: ListTasksQuery) => query.limit !== undefined)
  @IsInt({ message: 'must be an integer' })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ type: String, description: 'The nextCursor of the previous page (opaque)' })
  @ValidateIf((query: ListTasksQuery) => query.cursor !== undefined)
  @IsString()
  cursor?: string;
}
