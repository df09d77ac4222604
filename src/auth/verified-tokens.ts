import type { AuthenticatedUser } from './authenticated-user';

interface Verified {
  user: AuthenticatedUser;
  /** The token's `exp` plus the clock tolerance, in seconds since the epoch: unusable from then on. */
  usableUntil: number;
  /** When the token is verified again, its account looked up included (seconds since the epoch). */
  recheckAt: number;
}

/**
 * How long a verified token is taken on trust. Deleting an account forgets its tokens at once in the process
 * that deleted it; another instance of a fleet, which cannot know, looks the account up again within this.
 */
export const ACCOUNT_RECHECK_SECONDS = 2;

/**
 * Tokens this process has already verified (signature, algorithm, issuer, audience, time claims, subject, and
 * that the account exists), by their exact text, so that a client's next requests with the same token skip the
 * HMAC, jsonwebtoken's checks and the account lookup. Only a byte-identical token hits, so nothing forged or
 * altered can; `exp` is checked again on every hit, with the same tolerance jsonwebtoken applies. Deleting an
 * account forgets its tokens (forgetUser), and an entry is trusted for ACCOUNT_RECHECK_SECONDS at most, so a
 * deletion made by another instance holds here within that. Bounded: past `capacity`, the oldest entry goes.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Verified>();
  /** forgetUser() calls so far: a token checked while one ran may have been checked against a deleted account. */
  private forgotten = 0;

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
    const now = this.nowSeconds();
    if (now >= entry.usableUntil || now >= entry.recheckAt) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.user;
  }

  /** Taken before a token's account is looked up, and given to remember(): a forgetUser() in between wins. */
  mark(): number {
    return this.forgotten;
  }

  remember(token: string, user: AuthenticatedUser, exp: number, mark = this.forgotten): void {
    if (mark !== this.forgotten) return;
    if (this.entries.size >= this.capacity && !this.entries.has(token)) {
      this.entries.delete(this.entries.keys().next().value as string); // Maps iterate in insertion order
    }
    this.entries.set(token, { user, usableUntil: exp + this.toleranceSeconds, recheckAt: this.nowSeconds() + ACCOUNT_RECHECK_SECONDS });
  }

  /** Forgets every token of a deleted account: the next request with one is verified again, and refused. */
  forgetUser(userId: string): void {
    this.forgotten++;
    for (const [token, entry] of this.entries) if (entry.user.id === userId) this.entries.delete(token);
  }

  get size(): number {
    return this.entries.size;
  }
}
