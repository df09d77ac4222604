import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { validationProblem } from '../errors/problem';
import type { UpdateUserDto } from './dto/update-user.dto';
import { User } from './user.entity';

@Injectable()
export class UsersService {
  constructor(private readonly em: EntityManager) {}

  async update(user: User, dto: UpdateUserDto): Promise<User> {
    if (dto.name === undefined) throw validationProblem([{ field: 'body', message: 'must contain at least one of: name' }]);
    user.name = dto.name;
    user.updatedAt = new Date();
    await this.em.flush();
    return user;
  }

  /** The foreign key's ON DELETE CASCADE removes every task of the user in the same statement. */
  async delete(user: User): Promise<void> {
    await this.em.nativeDelete(User, { id: user.id });
  }
}
