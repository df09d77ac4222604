import { randomUUID } from 'node:crypto';
import { Collection, EntityRepositoryType, type Opt } from '@mikro-orm/core';
import { Check, Entity, OneToMany, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Task } from '../tasks/task.entity';
import { UserRepository } from './user.repository';

@Entity({ tableName: 'users', repository: () => UserRepository })
// the service normalises e-mails; the database refuses any that slipped through un-normalised
@Check({ name: 'users_email_normalized_check', expression: 'email = lower(btrim(email))' })
export class User {
  [EntityRepositoryType]?: UserRepository;

  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', length: 254 })
  @Unique({ name: 'users_email_unique' })
  email: string;

  @Property({ type: 'string', length: 100, nullable: true })
  name: string | null = null;

  @Property({ type: 'text', hidden: true })
  passwordHash: string;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date & Opt = new Date();

  // never loaded implicitly: the owner filter guards every read of tasks
  @OneToMany({ entity: () => Task, mappedBy: 'user' })
  tasks = new Collection<Task>(this);

  constructor(email: string, passwordHash: string, name: string | null = null) {
    this.email = email;
    this.passwordHash = passwordHash;
    this.name = name;
  }
}
