import { MikroORM } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { DynamicModule, Inject, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { migrateDatabase } from './migrate';
import { ormOptions } from './orm-options';
import { checkRowLevelSecurity, rowLevelSecurityState } from './row-level-security';
import { waitForDatabase } from './wait-for-database';

/**
 * At start-up: waits for the database (MikroORM connects lazily), migrates, and says whether row-level security
 * holds for the service's role.
 */
@Injectable()
class DatabaseStartup implements OnModuleInit {
  private readonly logger = new Logger('Database');

  constructor(
    private readonly orm: MikroORM,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const log = (message: string) => this.logger.warn(message);
    await waitForDatabase(this.orm, this.config.database.startupTimeoutMs, log);
    if (this.config.database.migrateOnStart) await this.migrate(log);
    const { isProduction, database } = this.config;
    checkRowLevelSecurity(await rowLevelSecurityState(this.orm), { production: isProduction, allowBypass: database.allowRlsBypass }, {
      info: (line) => this.logger.log(line),
      warn: log,
    });
  }

  private async migrate(log: (message: string) => void): Promise<void> {
    const applied = await migrateDatabase(this.config, log);
    if (applied.length === 0) return;
    this.logger.log(`Applied migrations: ${applied.join(', ')}`);
    // sessions opened before take no database defaults set since (statement_timeout): start the pool afresh
    await this.orm.reconnect();
  }
}

@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    const url = config.database.url;
    if (!url) throw new Error('DatabaseModule needs config.database.url (start the embedded database first)');
    return {
      module: DatabaseModule,
      imports: [
        MikroOrmModule.forRoot({
          ...ormOptions(config, url),
          // every request runs in its own EntityManager fork, made by a Fastify hook (request-context.ts)
          registerRequestContext: false,
        }),
      ],
      providers: [DatabaseStartup],
    };
  }
}
