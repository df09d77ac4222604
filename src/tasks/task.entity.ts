import { randomUUID } from 'node:crypto';
import { EntityRepositoryType, type Opt, type Ref } from '@mikro-orm/core';
import { Check, Entity, Filter, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { ownerFilter } from '../database/owner-filter';
import { User } from '../users/user.entity';
import { TaskRepository } from './task.repository';

export const TITLE_MAX_LENGTH = 200;
export const DESCRIPTION_MAX_LENGTH = 10_000;

/**
 * An owned entity: every query on it goes through the `owner` filter, and the database holds the same rule as a
 * forced row-level security policy generated from it (see src/database/owner-filter.ts).
 */
@Entity({ tableName: 'tasks', repository: () => TaskRepository, rowLevelSecurity: 'force' })
@Filter(ownerFilter)
@Check({ name: 'tasks_title_not_blank_check', expression: "btrim(title) <> ''" })
@Check({ name: 'tasks_description_length_check', expression: `char_length(description) <= ${DESCRIPTION_MAX_LENGTH}` })
// a user's list and its keyset pages read only that user's rows, in order
@Index({
  name: 'tasks_user_id_created_at_id_index',
  expression: 'create index "tasks_user_id_created_at_id_index" on "tasks" ("user_id", "created_at" desc, "id" desc)',
})
export class Task {
  [EntityRepositoryType]?: TaskRepository;

  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'cascade', updateRule: 'no action', index: false })
  user: Ref<User>;

  @Property({ type: 'string', length: TITLE_MAX_LENGTH })
  title: string;

  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Property({ type: 'boolean', default: false })
  completed: boolean & Opt = false;

  // millisecond precision: what a JavaScript Date holds, so keyset cursors compare exactly
  @Property({ type: 'datetime', length: 3 })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime', length: 3 })
  updatedAt: Date & Opt = new Date();

  @Property({ type: 'integer', default: 1 })
  version: number & Opt = 1;

  constructor(user: Ref<User>, title: string, description: string | null, completed: boolean) {
    this.user = user;
    this.title = title;
    this.description = description;
    this.completed = completed;
  }
}
