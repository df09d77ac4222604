import { MikroORM } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { DynamicModule, Inject, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { migrateDatabase } from './migrate';
import { ormOptions } from './orm-options';
import { waitForDatabase } from './wait-for-database';

/** Waits for the database at start-up (MikroORM.init does not connect: ensureDatabase is off) and migrates. */
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
    if (!this.config.database.migrateOnStart) return;
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
