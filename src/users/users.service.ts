import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { invalidToken } from '../auth/invalid-token';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { validationProblem } from '../errors/problem';
import type { UpdateUserDto } from './dto/update-user.dto';
import { User } from './user.entity';
import { UserRepository } from './user.repository';

@Injectable()
export class UsersService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UserRepository,
  ) {}

  /** The token's account; 401 when it has been deleted since the token was issued. */
  async get(auth: AuthenticatedUser): Promise<User> {
    const user = await this.users.findOne({ id: auth.id });
    if (!user) throw invalidToken();
    return user;
  }

  async update(auth: AuthenticatedUser, dto: UpdateUserDto): Promise<User> {
    if (dto.name === undefined) throw validationProblem([{ field: 'body', message: 'must contain at least one of: name' }]);
    const user = await this.get(auth);
    user.name = dto.name;
    user.updatedAt = new Date();
    await this.em.flush();
    return user;
  }

  /** The foreign key's ON DELETE CASCADE removes every task of the user in the same statement. */
  async delete(auth: AuthenticatedUser): Promise<void> {
    if ((await this.em.nativeDelete(User, { id: auth.id })) === 0) throw invalidToken();
  }
}
