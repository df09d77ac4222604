import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsString, ValidateIf } from 'class-validator';
import { CodePointLength } from '../../validation/code-point-length';
import { NoInvisibleCharacters, NormalizeEmail } from '../../users/dto/normalize-email';

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254, description: 'Normalised (NFKC, lower case, NFC, trimmed); unique regardless of case and width; no invisible characters' })
  @NormalizeEmail()
  @IsEmail({}, { message: 'must be an e-mail address' })
  @NoInvisibleCharacters()
  @CodePointLength(1, 254)
  email!: string;

  @ApiProperty({ example: 'correct horse battery staple', minLength: 8, maxLength: 128, description: 'Any 8 to 128 characters' })
  @IsString()
  @CodePointLength(8, 128)
  password!: string;

  @ApiPropertyOptional({ example: 'Ada Lovelace', minLength: 1, maxLength: 100, nullable: true, type: String })
  @ValidateIf((dto: RegisterDto) => dto.name !== undefined && dto.name !== null)
  @IsString()
  @CodePointLength(1, 100)
  name?: string | null;
}
