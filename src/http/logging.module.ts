import { DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config';
import { createLogger, PinoNestLogger } from './logger';

/** The pino logger (for the request log, see request-log.ts) and Nest's logger written through it. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** Structured JSON logs (pino): Nest's own messages and one line per request with its request id. */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    const logger: Logger = createLogger(config.logLevel);
    return {
      module: LoggingModule,
      providers: [
        { provide: ROOT_LOGGER, useValue: logger },
        { provide: PinoNestLogger, useValue: new PinoNestLogger(logger) },
      ],
      exports: [ROOT_LOGGER, PinoNestLogger],
    };
  }
}
