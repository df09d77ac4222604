import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsString, ValidateIf } from 'class-validator';
import { DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH } from '../task.entity';
import { CodePointLength } from '../../validation/code-point-length';

/** Titles are stored trimmed; their length is checked after trimming. */
export const TrimTitle = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

export class CreateTaskDto {
  @ApiProperty({ example: 'Buy milk', minLength: 1, maxLength: TITLE_MAX_LENGTH, description: 'Trimmed; 1 to 200 characters after trimming' })
  @TrimTitle()
  @IsString()
  @CodePointLength(1, TITLE_MAX_LENGTH)
  title!: string;

  @ApiPropertyOptional({ example: 'Two litres, semi-skimmed', maxLength: DESCRIPTION_MAX_LENGTH, nullable: true, type: String })
  @ValidateIf((dto: CreateTaskDto) => dto.description !== undefined && dto.description !== null)
  @IsString()
  @CodePointLength(0, DESCRIPTION_MAX_LENGTH)
  description?: string | null;

  // no `default` here: generated clients (openapi-typescript) would make the field required
  @ApiPropertyOptional({ example: false, description: 'Defaults to false' })
  @ValidateIf((dto: CreateTaskDto) => dto.completed !== undefined)
  @IsBoolean()
  completed?: boolean;
}
