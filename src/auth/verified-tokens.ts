import type { AuthenticatedUser } from './authenticated-user';

interface Verified {
  user: AuthenticatedUser;
  /** The token's `exp` plus the clock tolerance, in seconds since the epoch: unusable from then on. */
  usableUntil: number;
}

/**
 * Tokens this process has already verified (signature, algorithm, issuer, audience, time claims, subject), by
 * their exact text, so that a client's next requests with the same token skip the HMAC and jsonwebtoken's checks.
 * Only a byte-identical token hits, so nothing forged or altered can; `exp` is checked again on every hit,
 * with the same tolerance jsonwebtoken applies. Bounded: past `capacity`, the oldest entry goes.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Verified>();

  constructor(
    private readonly capacity: number,
    private readonly toleranceSeconds: number,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** The token's user while its exp (plus tolerance) has not passed; undefined when unknown or expired. */
  get(token: string): AuthenticatedUser | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    // jsonwebtoken refuses when now >= exp + clockTolerance
    if (this.nowSeconds() >= entry.usableUntil) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.user;
  }

  remember(token: string, user: AuthenticatedUser, exp: number): void {
    if (this.entries.size >= this.capacity && !this.entries.has(token)) {
      this.entries.delete(this.entries.keys().next().value as string); // Maps iterate in insertion order
    }
    this.entries.set(token, { user, usableUntil: exp + this.toleranceSeconds });
  }

  get size(): number {
    return this.entries.size;
  }
}
