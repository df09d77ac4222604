import type { MikroORM } from '@mikro-orm/core';
import { ConfigurationError } from '../config/app-config';

/** A production start on a role that row-level security does not hold (its message is the one line printed). */
export class RowLevelSecurityBypassedError extends ConfigurationError {}

export interface RowLevelSecurityState {
  role: string;
  /** The tables with a row-level security policy, and whether it holds for this role. */
  tables: { name: string; active: boolean }[];
}

/**
 * Whether the database's second layer holds for the service's own role: superusers and BYPASSRLS roles skip
 * row-level security whatever the table says. row_security_active() has no ORM API, hence the one query.
 */
export async function rowLevelSecurityState(orm: MikroORM): Promise<RowLevelSecurityState> {
  const names = [...orm.getMetadata().getAll().values()].filter((meta) => meta.rowLevelSecurity).map((meta) => meta.tableName);
  const connection = orm.em.getConnection();
  const [{ role }] = await connection.execute<{ role: string }[]>('select current_user as role');
  const tables = [];
  for (const name of names) {
    const [{ active }] = await connection.execute<{ active: boolean }[]>('select row_security_active(?) as active', [name]);
    tables.push({ name, active });
  }
  return { role, tables };
}

/**
 * The start-up line about the second layer: info when it holds; when it does not, a warning outside production
 * (or when DATABASE_ALLOW_RLS_BYPASS accepts it), and in production an error that stops the start.
 */
export function checkRowLevelSecurity(
  state: RowLevelSecurityState,
  options: { production: boolean; allowBypass: boolean },
  log: { info(line: string): void; warn(line: string): void },
): void {
  const tables = state.tables.map((table) => table.name).join(', ');
  const bypassed = state.tables.filter((table) => !table.active).map((table) => table.name);
  if (bypassed.length === 0) {
    log.info(`Row-level security is in force on ${tables} for role "${state.role}"`);
    return;
  }
  const line =
    `Row-level security is bypassed: role "${state.role}" is a superuser or has BYPASSRLS, so the database does not hold ` +
    `the owner rule on ${bypassed.join(', ')}. Connect as an ordinary role (on Neon, the database's owner role)`;
  if (options.production && !options.allowBypass) {
    throw new RowLevelSecurityBypassedError(`${line}, or set DATABASE_ALLOW_RLS_BYPASS=true to accept it.`);
  }
  log.warn(`${line}${options.allowBypass ? ' (accepted: DATABASE_ALLOW_RLS_BYPASS=true).' : '.'}`);
}
