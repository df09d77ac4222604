import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, MaxLength } from 'class-validator';
import { NormalizeEmail } from '../../users/dto/normalize-email';

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @NormalizeEmail()
  @IsString()
  @Length(1, 254)
  email!: string;

  @ApiProperty({ example: 'correct horse battery staple', maxLength: 128 })
  @IsString()
  @MaxLength(128)
  password!: string;
}
