/**
 * The MikroORM CLI's configuration (`npm run migration:*`). It uses DATABASE_DIRECT_URL, else DATABASE_URL
 * (use Neon's direct, non-pooled URL for migrations); with neither, it uses the embedded development database:
 * the one a running service owns, left running, or else one started for the duration of the command. The app
 * builds its options from the same ormOptions().
 */
import { loadConfig } from './src/config/app-config';
import { EmbeddedPostgres } from './src/database/embedded';
import { migrationOrmOptions } from './src/database/migrate';

export default async function cliConfig() {
  const config = loadConfig(process.env, { migrationsOnly: true }); // no JWT_SECRET needed: migrating signs nothing
  let url = config.database.directUrl ?? config.database.url;
  if (!url) {
    const embedded = await EmbeddedPostgres.startOrJoin({ dataDir: config.embedded.dir, port: config.embedded.port, log: console.error });
    url = embedded.url;
    // the CLI exits on its own; stop the server it started (not a service's) once the event loop is done
    process.once('beforeExit', () => void embedded.stop());
  }
  return migrationOrmOptions(config, url);
}
