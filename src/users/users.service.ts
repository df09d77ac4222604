import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { VerifiedTokens } from '../auth/verified-tokens';
import { problem, ProblemException, validationProblem } from '../errors/problem';
import type { UpdateUserDto } from './dto/update-user.dto';
import { User } from './user.entity';
import { UserRepository } from './user.repository';

/** The token's account was deleted after the request was authenticated (a request racing the deletion). */
const noSuchAccount = () => new ProblemException(problem(404, 'No such account'));

@Injectable()
export class UsersService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UserRepository,
    private readonly tokens: VerifiedTokens,
  ) {}

  async get(auth: AuthenticatedUser): Promise<User> {
    const user = await this.users.findOne({ id: auth.id });
    if (!user) throw noSuchAccount();
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

  /**
   * The foreign key's ON DELETE CASCADE removes every task of the user in the same statement. The account's
   * tokens are forgotten even when the delete failed (it may have committed): the next use verifies them again.
   */
  async delete(auth: AuthenticatedUser): Promise<void> {
    let deleted: number;
    try {
      deleted = await this.em.nativeDelete(User, { id: auth.id });
    } finally {
      this.tokens.forgetUser(auth.id);
    }
    if (deleted === 0) throw noSuchAccount();
  }
}
