/**
 * The release step: `npm run migrate:deploy` (after `npm run build`). Applies pending migrations on
 * DATABASE_DIRECT_URL (else DATABASE_URL) under the same advisory lock the start-up migration takes.
 * It needs no JWT_SECRET, even in production: migrating signs nothing.
 */
import { ConfigurationError, loadConfig } from '../config/app-config';
import { migrateDatabase } from './migrate';
import { DatabaseUnavailableError } from './wait-for-database';

async function main(): Promise<void> {
  const config = loadConfig(process.env, { migrationsOnly: true });
  if (!config.database.url && !config.database.directUrl) {
    throw new ConfigurationError('Invalid configuration: "DATABASE_URL" or "DATABASE_DIRECT_URL" is required to migrate');
  }
  const applied = await migrateDatabase(config, (message) => console.error(message));
  console.log(applied.length > 0 ? `Applied migrations: ${applied.join(', ')}` : 'No pending migrations');
}

main().catch((error: unknown) => {
  const expected = error instanceof ConfigurationError || error instanceof DatabaseUnavailableError;
  console.error(expected ? (error as Error).message : error);
  process.exit(1);
});
