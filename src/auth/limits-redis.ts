import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config';

/** How long a down Redis may take to refuse: connecting, and any one command. */
export const REDIS_TIMEOUT_MS = 1000;

/**
 * The Redis client that the login and registration limits count in (REDIS_URL), shared by every instance;
 * `client` is undefined without REDIS_URL (the counts then stay in this process's memory). It owns the
 * connection's lifecycle: a short wait for it at start, reconnection by itself, a disconnect at shutdown.
 */
@Injectable()
export class LimitsRedis implements OnModuleInit, OnApplicationShutdown {
  readonly client?: Redis;
  private readonly logger = new Logger('LimitsRedis');
  private down = false;

  constructor(@Inject(AppConfig) config: AppConfig) {
    if (!config.redis.url) return;
    this.client = new Redis(config.redis.url, {
      enableOfflineQueue: false, // while disconnected, a command is refused at once instead of queued
      connectTimeout: REDIS_TIMEOUT_MS,
      commandTimeout: REDIS_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      disconnectTimeout: 200, // on close, a socket that does not end by then is destroyed
    });
    // without a listener, an 'error' event would crash the process; reconnection goes on by itself
    this.client.on('error', (error: Error) => {
      if (!this.down) this.logger.warn(`Redis unreachable, logins answer 503 (registrations are counted by this process) until it is back: ${error.message}`);
      this.down = true;
    });
    this.client.on('ready', () => {
      if (this.down) this.logger.log('Redis reachable again');
      this.down = false;
    });
  }

  /** Gives Redis a moment to connect, so that the first logins after start are not 503; never fails. */
  async onModuleInit(): Promise<void> {
    const client = this.client;
    if (!client || client.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, 2 * REDIS_TIMEOUT_MS);
      client.on('ready', done);
    });
  }

  /** After the HTTP server has closed (Nest's last hook), so that logins still in flight keep their counts. */
  onApplicationShutdown(): void {
    // disconnect, not quit: quit would wait for a Redis that may be gone; this also stops reconnecting
    this.client?.disconnect();
  }
}
