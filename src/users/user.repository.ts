import { EntityRepository } from '@mikro-orm/postgresql';
import type { User } from './user.entity';

export class UserRepository extends EntityRepository<User> {
  async exists(id: string): Promise<boolean> {
    return (await this.count({ id })) > 0;
  }
}
