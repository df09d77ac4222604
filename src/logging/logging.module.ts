import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { createLogger, PinoNestLogger, prettyLogsWanted } from './logger';

/** The process's pino logger, for the request log (request-log.ts); Nest's logger (PinoNestLogger) writes through it. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * Structured JSON logs (pino), human-readable at a terminal outside production: Nest's own messages and one line
 * per request with its request id.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    const logger = createLogger(config.logLevel, { pretty: prettyLogsWanted(config.nodeEnv) });
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
