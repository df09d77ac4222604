import type { MikroORM } from '@mikro-orm/core';

export class DatabaseUnavailableError extends Error {}

/** Errors that waiting will not cure: wrong password, unknown database, a certificate that does not verify. */
const PERMANENT_PG_CODES = new Set(['28P01', '28000', '3D000']);
const PERMANENT_TLS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|does not support SSL/i;

function isPermanent(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  if (!e) return false;
  return PERMANENT_PG_CODES.has(e.code ?? '') || PERMANENT_TLS.test(e.code ?? '') || PERMANENT_TLS.test(e.message ?? '');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Retries `select 1` with exponential backoff (250 ms doubling, capped at 5 s) until the deadline:
 * a suspended Neon compute takes seconds to wake. Throws one clear error when it gives up.
 */
export async function waitForDatabase(
  orm: MikroORM,
  deadlineMs: number,
  log: (message: string) => void,
): Promise<void> {
  const start = Date.now();
  for (let attempt = 0, delay = 250; ; attempt++, delay = Math.min(delay * 2, 5000)) {
    const check = await orm.checkConnection();
    if (check.ok) return;
    const reason = check.reason ?? 'unknown error';
    if (isPermanent(check.error)) {
      throw new DatabaseUnavailableError(`Cannot connect to the database: ${reason}`);
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
