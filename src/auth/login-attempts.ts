import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

/**
 * Failed logins per (client address, e-mail) in a fixed window that starts at the first failure.
 * After `maxFailures` failures, every login for that key is refused until the window passes.
 *
 * In memory, per process: with several instances each counts on its own (an attacker gets up to
 * maxFailures per instance); a shared store (e.g. Redis) would implement the same two methods.
 * @nestjs/throttler counts every request, not only failures, and cannot check without counting,
 * so it does not fit this rule.
 */
@Injectable()
export class LoginAttempts implements OnModuleDestroy {
  private readonly windows = new Map<string, { failures: number; resetAt: number }>();
  private readonly sweeper: NodeJS.Timeout;
  /** Bounds memory under a flood of distinct keys: the oldest windows go first. */
  private static readonly MAX_KEYS = 100_000;

  constructor(@Inject(AppConfig) private readonly config: AppConfig) {
    this.sweeper = setInterval(() => this.sweep(), 60_000).unref();
  }

  /** Seconds until the key may try again, or 0 when it may try now. */
  retryAfterSeconds(key: string, now = Date.now()): number {
    const window = this.windows.get(key);
    if (!window || window.resetAt <= now || window.failures < this.config.login.maxFailures) return 0;
    return Math.max(1, Math.ceil((window.resetAt - now) / 1000));
  }

  recordFailure(key: string, now = Date.now()): void {
    const window = this.windows.get(key);
    if (window && window.resetAt > now) {
      window.failures++;
      return;
    }
    if (this.windows.size >= LoginAttempts.MAX_KEYS) this.windows.delete(this.windows.keys().next().value as string);
    this.windows.delete(key); // re-insert at the end: Map order is age order
    this.windows.set(key, { failures: 1, resetAt: now + this.config.login.windowSeconds * 1000 });
  }

  private sweep(now = Date.now()): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }
}
