import { Injectable } from '@nestjs/common';
import { UserRepository } from '../users/user.repository';
import type { AuthenticatedUser } from './authenticated-user';

/**
 * Tokens are trusted without a users lookup on every request (see AuthenticatedUser). A deleted account
 * owns nothing, so whatever its token asks ends in a client error; before such an answer goes out, this
 * asks whether the account still exists, so that its token is 401 on every route, as the contract says.
 */
@Injectable()
export class DeletedAccountCheck {
  constructor(private readonly users: UserRepository) {}

  async isDeleted(user: AuthenticatedUser | undefined): Promise<boolean> {
    if (!user) return false;
    try {
      return !(await this.users.exists(user.id));
    } catch {
      return false; // the database is away: keep the answer we have
    }
  }
}
