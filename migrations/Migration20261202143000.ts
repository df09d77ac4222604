import { Migration } from '@mikro-orm/migrations';

/**
 * A server-side limit on every statement in this database, so that a statement over it ends on the server
 * (SQLSTATE 57014, answered 503) and its connection is free at once. A database default, unlike a startup
 * parameter or a session SET, reaches every session through PgBouncer and Neon's pooler. Override it per role
 * with `alter role <role> set statement_timeout = '...'` (a role's setting wins over the database's).
 */
export class Migration20261202143000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`do $$ begin execute format('alter database %I set statement_timeout = %L', current_database(), '4s'); end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`do $$ begin execute format('alter database %I reset statement_timeout', current_database()); end $$;`);
  }

}
