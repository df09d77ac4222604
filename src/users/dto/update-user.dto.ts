import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, ValidateIf } from 'class-validator';
import { CodePointLength } from '../../validation/code-point-length';

export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'Ada King', minLength: 1, maxLength: 100, nullable: true, type: String, description: 'null clears the name' })
  @ValidateIf((dto: UpdateUserDto) => dto.name !== undefined && dto.name !== null)
  @IsString()
  @CodePointLength(1, 100)
  name?: string | null;
}
