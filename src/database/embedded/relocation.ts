import path from 'node:path';
import { currentUser } from './run-as';
import { ensureTrustedDirectory } from './trusted-directory';

/** Where, as root, the binaries and data go when the `postgres` user cannot reach the checkout. */
export const RELOCATION_ROOT = path.join('/var/tmp', 'task-service-embedded-pg');

/** Makes (or checks) RELOCATION_ROOT, root's own: /var/tmp is open to everyone, so nothing found there is trusted blindly. */
export async function ensureRelocationRoot(): Promise<void> {
  await ensureTrustedDirectory(RELOCATION_ROOT, { ...currentUser(), mode: 0o755 });
}
