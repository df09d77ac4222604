import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config';

/** The store of the counts (Redis) cannot be reached: the attempt was not reserved, so it must not go on. */
export class LoginLimitUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The failed-login store cannot be reached', { cause });
    this.name = LoginLimitUnavailableError.name;
  }
}

/** One attempt's place in both counts, taken before its password is checked. */
export interface LoginReservation {
  readonly addressKey: string;
  readonly emailKey: string;
}

export type ReserveResult = { allowed: true; reservation: LoginReservation } | { allowed: false; retryAfterSeconds: number };

/** How long a down Redis may take to refuse: connecting, and any one command. */
const REDIS_TIMEOUT_MS = 1000;

/**
 * Failed logins, counted by rate-limiter-flexible in two fixed windows that start at the first attempt:
 * - per (client address, e-mail): `login.maxFailures` in `login.windowSeconds`;
 * - per client address across all e-mails (password spraying): `login.ipMaxFailures` in `login.ipWindowSeconds`.
 *
 * Each attempt consumes a point of both BEFORE its password is checked (an atomic increment in the store),
 * so N concurrent guesses can never get past the limit. A failure keeps its points; a success deletes the
 * (address, e-mail) count and gives the address its point back; an attempt that could not be checked
 * (e.g. the database is down) gives both points back.
 *
 * With `REDIS_URL` the counts live in Redis and every instance shares them; otherwise they live in this
 * process's memory. A Redis that cannot be reached makes reserve() throw LoginLimitUnavailableError quickly
 * (no offline queue, short timeouts): logins fail closed while every other route goes on.
 */
@Injectable()
export class LoginAttempts implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('LoginAttempts');
  private readonly redis?: Redis;
  private readonly perEmail: RateLimiterAbstract;
  private readonly perAddress: RateLimiterAbstract;
  private redisDown = false;

  constructor(@Inject(AppConfig) config: AppConfig) {
    const { maxFailures, windowSeconds, ipMaxFailures, ipWindowSeconds } = config.login;
    const prefix = config.redis.keyPrefix;
    const emailOptions = { keyPrefix: `${prefix}login-fail-email`, points: maxFailures, duration: windowSeconds };
    const addressOptions = { keyPrefix: `${prefix}login-fail-address`, points: ipMaxFailures, duration: ipWindowSeconds };
    if (!config.redis.url) {
      this.perEmail = new RateLimiterMemory(emailOptions);
      this.perAddress = new RateLimiterMemory(addressOptions);
      return;
    }
    this.redis = new Redis(config.redis.url, {
      enableOfflineQueue: false, // while disconnected, a command is refused at once instead of queued
      connectTimeout: REDIS_TIMEOUT_MS,
      commandTimeout: REDIS_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      disconnectTimeout: 200, // on close, a socket that does not end by then is destroyed
    });
    // without a listener, an 'error' event would crash the process; reconnection goes on by itself
    this.redis.on('error', (error: Error) => {
      if (!this.redisDown) this.logger.warn(`Redis unreachable, logins answer 503 until it is back: ${error.message}`);
      this.redisDown = true;
    });
    this.redis.on('ready', () => {
      if (this.redisDown) this.logger.log('Redis reachable again');
      this.redisDown = false;
    });
    const store = { storeClient: this.redis, rejectIfRedisNotReady: true };
    this.perEmail = new RateLimiterRedis({ ...store, ...emailOptions });
    this.perAddress = new RateLimiterRedis({ ...store, ...addressOptions });
  }

  /** Gives Redis a moment to connect, so that the first logins after start are not 503; never fails. */
  async onModuleInit(): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, 2 * REDIS_TIMEOUT_MS);
      redis.on('ready', done);
    });
  }

  onModuleDestroy(): void {
    // disconnect, not quit: quit would wait for a Redis that may be gone; this also stops reconnecting
    this.redis?.disconnect();
  }

  /**
   * Takes one attempt from both counts. Refused when either is used up: then `retryAfterSeconds` is when
   * the count that refused ends (the longest, if both did). Throws LoginLimitUnavailableError if the store
   * cannot be reached.
   */
  async reserve(clientAddress: string, email: string): Promise<ReserveResult> {
    const reservation: LoginReservation = { addressKey: clientAddress, emailKey: `${clientAddress}|${email}` };
    // the address first: a client that is refused there does not create a key per e-mail it tries
    const address = await this.consume(this.perAddress, reservation.addressKey);
    if (address instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: retryAfter(address) };
    let perEmail: RateLimiterRes | undefined;
    try {
      perEmail = await this.consume(this.perEmail, reservation.emailKey);
    } catch (error) {
      await this.giveBack(this.perAddress, reservation.addressKey).catch(() => undefined);
      throw error;
    }
    if (perEmail instanceof RateLimiterRes) {
      // refused without a check: not a failure of this address
      await this.giveBack(this.perAddress, reservation.addressKey);
      return { allowed: false, retryAfterSeconds: retryAfter(perEmail) };
    }
    return { allowed: true, reservation };
  }

  /** The password was right: that client's failures for that e-mail are forgotten, and the attempt is not one. */
  async succeeded(reservation: LoginReservation): Promise<void> {
    await Promise.all([
      this.perEmail.delete(reservation.emailKey).catch((error: unknown) => Promise.reject(new LoginLimitUnavailableError(error))),
      this.giveBack(this.perAddress, reservation.addressKey),
    ]);
  }

  /** The attempt could not be checked (an error other than a wrong password): it counts for neither. */
  async cancelled(reservation: LoginReservation): Promise<void> {
    await Promise.all([this.giveBack(this.perEmail, reservation.emailKey), this.giveBack(this.perAddress, reservation.addressKey)]);
  }

  /** Resolves undefined when the point was taken, the refusal when the count is used up; throws if the store fails. */
  private async consume(limiter: RateLimiterAbstract, key: string): Promise<RateLimiterRes | undefined> {
    try {
      await limiter.consume(key);
      return undefined;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return rejection;
      throw new LoginLimitUnavailableError(rejection);
    }
  }

  /**
   * Returns a point taken by reserve(). If the window ended meanwhile, the store has started a new count at -1:
   * the point is taken again (an atomic increment, so concurrent attempts still count) so that no window ever
   * allows more than its limit.
   */
  private async giveBack(limiter: RateLimiterAbstract, key: string): Promise<void> {
    try {
      const res = await limiter.reward(key);
      if (res.consumedPoints < 0) await limiter.penalty(key, -res.consumedPoints);
    } catch (error) {
      throw new LoginLimitUnavailableError(error);
    }
  }
}

/** Whole seconds, never 0 while refused. */
function retryAfter(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}
