import { Migration } from '@mikro-orm/migrations';

export class Migration20261126153059 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "users" ("id" uuid not null, "email" varchar(254) not null, "name" varchar(100) null, "password_hash" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "users_pkey" primary key ("id"), constraint users_email_normalized_check check (email = lower(btrim(email))));`);
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);

    this.addSql(`create table "tasks" ("id" uuid not null, "user_id" uuid not null, "title" varchar(200) not null, "description" text null, "completed" boolean not null default false, "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null, "version" int not null default 1, constraint "tasks_pkey" primary key ("id"), constraint tasks_description_length_check check (char_length(description) <= 10000), constraint tasks_title_not_blank_check check (btrim(title) <> ''));`);
    this.addSql(`create index "tasks_user_id_created_at_id_index" on "tasks" ("user_id", "created_at" desc, "id" desc);`);

    this.addSql(`alter table "tasks" add constraint "tasks_user_id_foreign" foreign key ("user_id") references "users" ("id") on update no action on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "tasks" drop constraint "tasks_user_id_foreign";`);

    this.addSql(`drop table if exists "users" cascade;`);

    this.addSql(`drop table if exists "tasks" cascade;`);
  }

}
