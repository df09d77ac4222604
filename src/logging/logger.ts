import type { LoggerService } from '@nestjs/common';
import pino, { type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';

export interface LoggerOptions {
  /** Human-readable lines (pino-pretty) instead of JSON: see prettyLogsWanted(). */
  pretty?: boolean;
  /** Where the lines go; stdout by default. */
  destination?: NodeJS.WritableStream;
}

/** Human-readable logs for a person at a terminal in development; JSON lines for everything else (files, collectors). */
export function prettyLogsWanted(nodeEnv: string, stdoutIsTty: boolean | undefined = process.stdout.isTTY): boolean {
  return nodeEnv !== 'production' && stdoutIsTty === true;
}

/**
 * The process's one pino logger: JSON lines on stdout (pid, hostname, time, level, msg), or with `pretty` one
 * readable line per entry ("14:02:03.123 INFO: [Database] Applied migrations: ..."). pino-pretty runs as a
 * synchronous stream in this thread, not as a worker transport, so its lines keep their order with console.log's.
 */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  // stdout written synchronously (pino's default is asynchronous): JSON lines keep their order with console.log's
  if (!options.pretty) return pino({ level }, options.destination ?? pino.destination({ dest: 1, sync: true }));
  const stream = pretty({
    sync: true,
    colorize: options.destination === undefined && process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
    singleLine: true,
    ...(options.destination && { destination: options.destination }),
  });
  return pino({ level }, stream);
}

/**
 * Nest's start-up chatter: a line per module ("InstanceLoader ... dependencies initialized") and per route
 * ("RouterExplorer Mapped {/tasks, GET} route"). Written at debug, not info: LOG_LEVEL=debug shows it.
 */
const CHATTY_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/**
 * Nest's log calls (start-up, the exception filter) written through pino. Nest passes the logger's context as
 * the last argument, and an error's stack before it.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}

  readonly log = this.writer('info');
  readonly error = this.writer('error');
  readonly warn = this.writer('warn');
  readonly debug = this.writer('debug');
  readonly verbose = this.writer('trace');
  readonly fatal = this.writer('fatal');

  private writer(level: Level): (message: unknown, ...params: unknown[]) => void {
    return (message, ...params) => this.write(level, message, params);
  }

  private write(asked: Level, message: unknown, params: unknown[]): void {
    const context = params.length > 0 && typeof params[params.length - 1] === 'string' ? (params[params.length - 1] as string) : undefined;
    const level = asked === 'info' && context !== undefined && CHATTY_CONTEXTS.has(context) ? 'debug' : asked;
    if (!this.pino.isLevelEnabled(level)) return;
    if (context !== undefined) params = params.slice(0, -1);
    const stack = level === 'error' || level === 'fatal' ? params.find((p) => typeof p === 'string') : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack) fields.stack = stack;
    if (message instanceof Error) this.pino[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.pino[level]({ ...fields, ...message });
    else this.pino[level](fields, String(message));
  }
}
