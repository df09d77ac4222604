import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AppConfig } from './app-config';

/** Shorter than this, a kept secret is taken as damaged and replaced. */
const MIN_LENGTH = 32;

/**
 * Where the development JWT secret is kept: beside the embedded database's folder (EMBEDDED_PG_DIR, by default
 * `.data/pg`), so `.data/jwt-secret`.
 */
export function devJwtSecretPath(embeddedDir: string): string {
  return path.join(path.dirname(path.resolve(embeddedDir)), 'jwt-secret');
}

/**
 * The development JWT secret kept in `file` (mode 600), made once: tokens then survive a restart. Never for
 * production, where JWT_SECRET is required. `created` tells whether it was made by this call.
 */
export function readOrCreateDevJwtSecret(file: string): { secret: string; created: boolean } {
  const kept = readSecret(file);
  if (kept) {
    chmodSync(file, 0o600); // readable by its owner only, whatever a copy or an editor did to it
    return { secret: kept, created: false };
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    // 'wx': two processes starting at once must not each write their own; the second reads the first's
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: kept === undefined ? 'wx' : 'w' });
  } catch (error) {
    const theirs = (error as NodeJS.ErrnoException).code === 'EEXIST' ? readSecret(file) : undefined;
    if (theirs) return { secret: theirs, created: false };
    throw error;
  }
  chmodSync(file, 0o600); // the mode of writeFileSync is filtered by the umask, and ignored for an existing file
  return { secret, created: true };
}

/** The kept secret; undefined when there is no file, '' when it is there but unusable (too short). */
function readSecret(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const secret = text.trim();
  return secret.length >= MIN_LENGTH ? secret : '';
}

/**
 * Outside production, when JWT_SECRET is not set, replaces the per-process random secret of loadConfig() by the
 * one kept in .data/jwt-secret, and says so in one line.
 */
export function useKeptDevJwtSecret(config: AppConfig, log: (line: string) => void): void {
  if (config.isProduction || !config.jwt.secretGenerated) return;
  const file = devJwtSecretPath(config.embedded.dir);
  const relative = path.relative(process.cwd(), file);
  const shown = relative.startsWith('..') ? file : relative;
  let kept: { secret: string; created: boolean };
  try {
    kept = readOrCreateDevJwtSecret(file);
  } catch (error) {
    // a read-only checkout must still start: with loadConfig's random secret, whose tokens last one process
    log(`JWT_SECRET is not set and ${shown} cannot be used (${(error as Error).message}): development tokens last until the next restart`);
    return;
  }
  const { secret, created } = kept;
  config.jwt.secret = secret;
  log(`JWT_SECRET is not set: signing development tokens with the secret ${created ? 'created in' : 'kept in'} ${shown} (tokens survive restarts)`);
}
