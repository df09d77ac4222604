import type { Client } from 'pg';
import { connect } from './admin-connection';

/**
 * A cluster from an older version kept the service's tables in the `postgres` database, owned by the
 * superuser. They move with their data: their owner becomes the app role, the database is renamed to the app's
 * and owned by that role, and a fresh empty `postgres` database is made for administration. Renaming is instant
 * and keeps everything (no copy); keeping the service on the superuser's database would keep it a superuser.
 *
 * `admin` is a session on `postgres`; it is ended here when there is something to move. Returns whether there was.
 */
export async function moveLegacyLayout(admin: Client, adminUrl: string, target: { role: string; database: string }): Promise<boolean> {
  if (!(await hasUserTables(admin))) return false;
  await giveObjectsTo(admin, target.role);
  await admin.end();
  await renamePostgresDatabase(adminUrl, target);
  return true;
}

/** Whether the current database holds tables outside the system schemas. */
async function hasUserTables(client: Client): Promise<boolean> {
  const { rowCount } = await client.query(
    `select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%' limit 1`,
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Gives `role` the current database's own objects: tables, views, sequences not tied to a table (those follow
 * their table, with its indexes), types and functions, in every non-system schema.
 */
async function giveObjectsTo(client: Client, role: string): Promise<void> {
  const { rows } = await client.query<{ statement: string }>(
    `with own as (
       select n.oid, n.nspname from pg_namespace n
        where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
     ), extension_member as (
       select classid, objid from pg_depend where deptype = 'e'
     )
     select format('alter %s %I.%I owner to %I',
                   case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view'
                                  when 'f' then 'foreign table' else 'table' end,
                   own.nspname, c.relname, $1::text) as statement
       from pg_class c join own on own.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
        and (c.oid) not in (select objid from extension_member where classid = 'pg_class'::regclass)
        and not (c.relkind = 'S' and exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i')))
     union all
     select format('alter type %I.%I owner to %I', own.nspname, t.typname, $1::text)
       from pg_type t join own on own.oid = t.typnamespace
      where (t.typtype in ('e', 'd', 'r') or (t.typtype = 'c' and (select relkind from pg_class where oid = t.typrelid) = 'c'))
        and t.oid not in (select objid from extension_member where classid = 'pg_type'::regclass)
     union all
     select format('alter routine %s owner to %I', p.oid::regprocedure, $1::text)
       from pg_proc p join own on own.oid = p.pronamespace
      where p.prokind in ('f', 'p') and p.oid not in (select objid from extension_member where classid = 'pg_proc'::regclass)`,
    [role],
  );
  for (const { statement } of rows) await client.query(statement);
}

/** Renames the database `postgres` to the app's, owned by the app role, and makes a new, empty `postgres`. */
async function renamePostgresDatabase(adminUrl: string, target: { role: string; database: string }): Promise<void> {
  const url = new URL(adminUrl);
  url.pathname = '/template1'; // a database may not be renamed by a session connected to it
  const client = await connect(url.toString());
  try {
    await client.query(`alter database postgres rename to "${target.database}"`);
    await client.query(`alter database "${target.database}" owner to "${target.role}"`);
    await client.query('create database postgres');
  } finally {
    await client.end().catch(() => undefined);
  }
}
