import { Migration } from '@mikro-orm/migrations';

/**
 * Generated (migration:create) from the `owner` filter on Task (rls: true, rowLevelSecurity: 'force'): the database
 * holds the owner rule too, for the table's owner as well, so a query that escapes the ORM's filter sees no other
 * user's rows.
 */
export class Migration20261205211627 extends Migration {

  override name = 'Migration20261205211627';

  override up(): void | Promise<void> {
    this.addSql(`alter table "tasks" enable row level security;`);
    this.addSql(`alter table "tasks" force row level security;`);
    this.addSql(`create policy "tasks_owner_policy" on "tasks" using ("user_id" = current_setting('mikro.owner.userId')::uuid);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop policy "tasks_owner_policy" on "tasks";`);

    this.addSql(`alter table "tasks" no force row level security;`);
    this.addSql(`alter table "tasks" disable row level security;`);
  }

}
