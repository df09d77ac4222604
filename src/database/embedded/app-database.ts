import { connect } from './admin-connection';
import { moveLegacyLayout } from './legacy-layout';

/** The role the service connects as, and the database it owns (as on Neon: not a superuser). */
export const APP_ROLE = 'app';
export const APP_DATABASE = 'app';

/**
 * The role `app` and its database `app`, created at the first start of a cluster (and of a cluster made by an
 * older version, which had only the superuser). Its password is set from `<data>.app-password` at every start.
 */
export async function ensureAppRoleAndDatabase(adminUrl: string, appPassword: string, log: (m: string) => void): Promise<void> {
  // raw SQL through pg: creating a role and a database, and moving ownership, is no ORM API
  const admin = await connect(adminUrl);
  try {
    const role = await admin.query('select 1 from pg_roles where rolname = $1', [APP_ROLE]);
    const verb = role.rowCount ? 'alter' : 'create';
    await admin.query(
      `${verb} role "${APP_ROLE}" with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password ${admin.escapeLiteral(appPassword)}`,
    );
    const database = await admin.query<{ owner: string }>(
      'select pg_get_userbyid(datdba) as owner from pg_database where datname = $1',
      [APP_DATABASE],
    );
    if (database.rowCount) {
      if (database.rows[0].owner !== APP_ROLE) await admin.query(`alter database "${APP_DATABASE}" owner to "${APP_ROLE}"`);
      return;
    }
    if (await moveLegacyLayout(admin, adminUrl, { role: APP_ROLE, database: APP_DATABASE })) {
      log(`Embedded PostgreSQL: moved the service's tables from the database "postgres" (an older layout) to the database "${APP_DATABASE}", owned by the role "${APP_ROLE}"`);
      return;
    }
    await admin.query(`create database "${APP_DATABASE}" owner "${APP_ROLE}"`);
  } finally {
    await admin.end().catch(() => undefined);
  }
}
