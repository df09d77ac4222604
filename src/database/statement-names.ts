import { createHash } from 'node:crypto';

/** At most this many distinct statement texts get a name; any other is sent unnamed (parsed every time). */
const MAX_NAMED = 200;

/**
 * Names for the fixed statements (fixed-statement.ts), so that PostgreSQL parses and plans each one once per
 * connection instead of on every request: for these small statements that is most of the database's CPU.
 *
 * A name is a hash of the statement's text, so one name always means one text, in every process and version
 * of the service: behind a pooler that hands a named statement to another client's session, the worst case is
 * running the very same SQL. A pooler that keeps no prepared statements at all (PgBouncer before 1.21, or one
 * without max_prepared_statements, in transaction mode) answers "does not exist" or "already exists"; then
 * disable() turns names off for good and the statement is retried unnamed (fixed-statement.ts).
 * One instance per MikroORM instance, attached to its pool's connections (orm-options.ts).
 */
export class StatementNames {
  private readonly names = new Map<string, string>();

  constructor(private enabled: boolean) {}

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** The name to prepare `sql` under, or undefined to send it unnamed. */
  nameOf(sql: string): string | undefined {
    if (!this.enabled) return undefined;
    let name = this.names.get(sql);
    if (name === undefined && this.names.size < MAX_NAMED) {
      name = `task_service_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
      this.names.set(sql, name);
    }
    return name;
  }

  /** Sends every later statement unnamed. True the first time (the caller says why, once). */
  disable(): boolean {
    const was = this.enabled;
    this.enabled = false;
    this.names.clear();
    return was;
  }
}

/** SQLSTATEs of a named statement the server does not have (26000) or already has (42P05): a pooler's doing. */
export function isLostPreparedStatement(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '26000' || code === '42P05';
}

const namesOfConnection = new WeakMap<object, StatementNames>();

/** Gives a new pool connection its pool's StatementNames (knex's afterCreate hook, see orm-options.ts). */
export function attachStatementNames(connection: object, names: StatementNames): void {
  namesOfConnection.set(connection, names);
}

/** The StatementNames of a pool connection; undefined for one made elsewhere (it sends everything unnamed). */
export function statementNamesOf(connection: object): StatementNames | undefined {
  return namesOfConnection.get(connection);
}
