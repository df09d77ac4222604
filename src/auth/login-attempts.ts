import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config';
import { LimitsRedis } from './limits-redis';

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

export type RegistrationResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

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
 * Registrations are counted here too, per client address: `register.ipMax` in `register.ipWindowSeconds`.
 *
 * With `REDIS_URL` the counts live in Redis (LimitsRedis) and every instance shares them; otherwise they live
 * in this process's memory. A Redis that cannot be reached makes reserve() throw LoginLimitUnavailableError quickly
 * (no offline queue, short timeouts): logins fail closed while every other route goes on. Registrations go on
 * too, counted meanwhile in this process's memory (rate-limiter-flexible's insurance limiter).
 */
@Injectable()
export class LoginAttempts {
  private readonly perEmail: RateLimiterAbstract;
  private readonly perAddress: RateLimiterAbstract;
  private readonly registrations: RateLimiterAbstract;

  constructor(@Inject(AppConfig) config: AppConfig, redis: LimitsRedis) {
    const { maxFailures, windowSeconds, ipMaxFailures, ipWindowSeconds } = config.login;
    const prefix = config.redis.keyPrefix;
    const emailOptions = { keyPrefix: `${prefix}login-fail-email`, points: maxFailures, duration: windowSeconds };
    const addressOptions = { keyPrefix: `${prefix}login-fail-address`, points: ipMaxFailures, duration: ipWindowSeconds };
    const registerOptions = { keyPrefix: `${prefix}register-address`, points: config.register.ipMax, duration: config.register.ipWindowSeconds };
    if (!redis.client) {
      this.perEmail = new RateLimiterMemory(emailOptions);
      this.perAddress = new RateLimiterMemory(addressOptions);
      this.registrations = new RateLimiterMemory(registerOptions);
      return;
    }
    const store = { storeClient: redis.client, rejectIfRedisNotReady: true };
    this.perEmail = new RateLimiterRedis({ ...store, ...emailOptions });
    this.perAddress = new RateLimiterRedis({ ...store, ...addressOptions });
    // an outage must not stop registrations (nor let them through uncounted): this process counts meanwhile
    this.registrations = new RateLimiterRedis({ ...store, ...registerOptions, insuranceLimiter: new RateLimiterMemory(registerOptions) });
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

  /**
   * Takes one registration from the client address's count, before its password is hashed (so concurrent
   * registrations cannot pass the limit). Refused when it is used up, until the window that counted them ends.
   */
  async reserveRegistration(clientAddress: string): Promise<RegistrationResult> {
    const refused = await this.consume(this.registrations, clientAddress);
    return refused ? { allowed: false, retryAfterSeconds: retryAfter(refused) } : { allowed: true };
  }

  /** The registration was not attempted after all (hashing saturated, database down): it does not count. */
  async registrationNotMade(clientAddress: string): Promise<void> {
    await this.giveBack(this.registrations, clientAddress);
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
