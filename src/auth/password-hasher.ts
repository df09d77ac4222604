import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import argon2 from 'argon2';
import { AppConfig } from '../config/app-config';
import { BoundedWork } from './bounded-work';

/**
 * argon2id with the library's defaults (m=64 MiB, t=3, p=4), on libuv's thread pool.
 *
 * Registrations hash through a bounded queue of their own (REGISTER_HASH_*): at most `hashConcurrency` at once,
 * fewer than the pool's threads, a few more waiting briefly, any beyond refused at once (WorkSaturatedError).
 * A login's verify does not go through it: it never queues behind registrations, and always finds a free thread.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  /** Verified against when the e-mail is unknown, so both failures take the same time. */
  private dummyHash = '';
  private readonly registrations: BoundedWork;

  constructor(@Inject(AppConfig) config: AppConfig) {
    const { hashConcurrency, hashQueue, hashQueueTimeoutMs } = config.register;
    this.registrations = new BoundedWork(hashConcurrency, hashQueue, hashQueueTimeoutMs);
  }

  async onModuleInit(): Promise<void> {
    this.dummyHash = await argon2Hash('not a password anyone uses');
  }

  /** A registration's hash; rejects with WorkSaturatedError when the registrations' hashing is saturated. */
  hash(password: string): Promise<string> {
    return this.registrations.run(() => argon2Hash(password));
  }

  async verify(hash: string | undefined, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash ?? this.dummyHash, password);
    } catch {
      return false; // a malformed stored hash never authenticates
    }
  }
}

function argon2Hash(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}
