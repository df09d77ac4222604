import type { MikroORM } from '@mikro-orm/core';
import { classifyConnectError } from './database-errors';

export class DatabaseUnavailableError extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Retries `select 1` with exponential backoff (250 ms doubling, capped at 5 s) until the deadline while the
 * database is not reachable or not ready yet (a suspended Neon compute takes seconds to wake); fails at once
 * when it answered and refused (login, database name, TLS). Throws one clear error when it gives up.
 */
export async function waitForDatabase(
  orm: MikroORM,
  deadlineMs: number,
  log: (message: string) => void,
): Promise<void> {
  const start = Date.now();
  // MikroORM connects lazily: this makes the pool (no connection yet), so that checkConnection() can try one
  await orm.connect();
  for (let attempt = 0, delay = 250; ; attempt++, delay = Math.min(delay * 2, 5000)) {
    const check = await orm.checkConnection();
    if (check.ok) return;
    const reason = check.reason ?? 'unknown error';
    const failure = classifyConnectError(check.error);
    if (failure.kind === 'refused') {
      throw new DatabaseUnavailableError(`Cannot connect to the database: ${failure.problem} (${reason})`);
    }
    const remaining = deadlineMs - (Date.now() - start);
    if (remaining <= 0) {
      throw new DatabaseUnavailableError(
        `The database did not answer within ${Math.round(deadlineMs / 1000)} s (DATABASE_STARTUP_TIMEOUT_MS): ${reason}`,
      );
    }
    if (attempt === 0) log(`Waiting for the database (${reason}); retrying for up to ${Math.round(deadlineMs / 1000)} s`);
    // the last attempt is made at the deadline, not one backoff step before it
    await sleep(Math.min(delay, remaining));
  }
}
