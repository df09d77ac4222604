/**
 * The MikroORM CLI's configuration (`npm run migration:*`). It uses DATABASE_DIRECT_URL, else DATABASE_URL
 * (use Neon's direct, non-pooled URL for migrations); with neither, it starts the embedded development
 * database for the duration of the command. The app builds its options from the same ormOptions().
 */
import { loadConfig } from './src/config/app-config';
import { EmbeddedPostgres } from './src/database/embedded-postgres';
import { migrationOrmOptions } from './src/database/migrate';

export default async function cliConfig() {
  const config = loadConfig();
  let url = config.database.directUrl ?? config.database.url;
  if (!url) {
    const embedded = await EmbeddedPostgres.start({ dataDir: config.embedded.dir, port: config.embedded.port, log: console.error });
    url = embedded.url;
    // the CLI exits on its own; stop the server it needed once the event loop is done
    process.once('beforeExit', () => void embedded.stop());
  }
  return migrationOrmOptions(config, url);
}
