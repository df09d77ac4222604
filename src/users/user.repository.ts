import { EntityRepository } from '@mikro-orm/postgresql';
import type { User } from './user.entity';

export class UserRepository extends EntityRepository<User> {}
