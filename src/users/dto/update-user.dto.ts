import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length, ValidateIf } from 'class-validator';

export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'Ada King', minLength: 1, maxLength: 100, nullable: true, type: String, description: 'null clears the name' })
  @ValidateIf((dto: UpdateUserDto) => dto.name !== undefined && dto.name !== null)
  @IsString()
  @Length(1, 100)
  name?: string | null;
}
