import { ApiProperty } from '@nestjs/swagger';
import type { User } from '../user.entity';

/** The public representation of a user: never the password hash. */
export class UserDto {
  @ApiProperty({ format: 'uuid', example: '3f1c2b9e-7c1a-4a55-9a57-2b8f0e6c1d2a' })
  id!: string;

  @ApiProperty({ example: 'ada@example.com' })
  email!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' })
  name!: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-01-31T12:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-31T12:00:00.000Z' })
  updatedAt!: string;

  static from(user: User): UserDto {
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      createdAt: user.createdAt.toISOString(),
      updatedAt: user.updatedAt.toISOString(),
    };
  }
}
