import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { CodePointLength } from '../../validation/code-point-length';
import { NoInvisibleCharacters, NormalizeEmail } from '../../users/dto/normalize-email';

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @NormalizeEmail()
  @IsString()
  @CodePointLength(1, 254)
  @NoInvisibleCharacters()
  email!: string;

  @ApiProperty({ example: 'correct horse battery staple', maxLength: 128 })
  @IsString()
  @CodePointLength(0, 128)
  password!: string;
}
