import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsString, ValidateIf } from 'class-validator';
import { DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH } from '../task.entity';
import { CodePointLength } from '../../validation/code-point-length';
import { TrimTitle } from './create-task.dto';

/** One or more of the fields; only description may be null. */
export class UpdateTaskDto {
  @ApiPropertyOptional({ example: 'Buy oat milk', minLength: 1, maxLength: TITLE_MAX_LENGTH })
  @TrimTitle()
  @ValidateIf((dto: UpdateTaskDto) => dto.title !== undefined)
  @IsString()
  @CodePointLength(1, TITLE_MAX_LENGTH)
  title?: string;

  @ApiPropertyOptional({ example: null, maxLength: DESCRIPTION_MAX_LENGTH, nullable: true, type: String })
  @ValidateIf((dto: UpdateTaskDto) => dto.description !== undefined && dto.description !== null)
  @IsString()
  @CodePointLength(0, DESCRIPTION_MAX_LENGTH)
  description?: string | null;

  @ApiPropertyOptional({ example: true })
  @ValidateIf((dto: UpdateTaskDto) => dto.completed !== undefined)
  @IsBoolean()
  completed?: boolean;
}
