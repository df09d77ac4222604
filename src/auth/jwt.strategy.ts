import { Inject, Injectable } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config';
import { isUuid } from '../validation/uuid';
import { UserRepository } from '../users/user.repository';
import type { AuthenticatedUser } from './authenticated-user';
import { bearerCredentials, extractBearerToken } from './bearer-token';
import { VerifiedTokens } from './verified-tokens';

export const CLOCK_TOLERANCE_SECONDS = 5;
/** Verified tokens kept in memory (a few hundred bytes each). */
export const VERIFIED_TOKENS_KEPT = 10_000;

interface AccessTokenPayload {
  sub?: unknown;
  exp?: unknown;
  iat?: unknown;
}

/**
 * Bearer tokens: HS256 only, issuer and audience checked, `exp` and `iat` required, the key being JWT_SECRET's
 * UTF-8 bytes. No `crit` header (see bearer-token.ts), no `iat` in the future, and no lifetime (`exp - iat`)
 * longer than the tokens this service issues (JWT_EXPIRES_IN_SECONDS), each within the clock tolerance: a token
 * minted with the key elsewhere cannot outlast ours. A token whose account does not exist (deleted since it was
 * issued) is refused: the one place that rule is decided. A token verified here is remembered (VerifiedTokens),
 * so that JwtAuthGuard takes it again for a short while without this work.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly maxLifetimeSeconds: number;

  constructor(
    @Inject(AppConfig) config: AppConfig,
    @Inject(VerifiedTokens) private readonly verified: VerifiedTokens,
    @Inject(UserRepository) private readonly users: UserRepository,
  ) {
    super({
      jwtFromRequest: extractBearerToken,
      // a KeyObject made once: given a Buffer, jsonwebtoken tries (and fails) to parse it as a public key per request
      secretOrKey: createSecretKey(Buffer.from(config.jwt.secret, 'utf8')) as unknown as string,
      algorithms: ['HS256'],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
      // maxAge makes jsonwebtoken require a numeric iat, and refuse a token older than ours ever live
      jsonWebTokenOptions: { clockTolerance: CLOCK_TOLERANCE_SECONDS, maxAge: config.jwt.expiresInSeconds },
      passReqToCallback: true,
    });
    this.maxLifetimeSeconds = config.jwt.expiresInSeconds + CLOCK_TOLERANCE_SECONDS;
  }

  /** Called by passport-jwt with a verified payload; null makes the guard answer 401, a failed lookup 503. */
  async validate(request: FastifyRequest, payload: AccessTokenPayload): Promise<AuthenticatedUser | null> {
    // jsonwebtoken accepts a token without exp; we do not
    if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number') return null;
    // jsonwebtoken checks neither: issued in the future, or made to live longer than the tokens we issue
    if (payload.iat > Math.floor(Date.now() / 1000) + CLOCK_TOLERANCE_SECONDS) return null;
    if (payload.exp - payload.iat > this.maxLifetimeSeconds) return null;
    if (typeof payload.sub !== 'string' || !isUuid(payload.sub)) return null;
    const user = { id: payload.sub.toLowerCase() };
    const mark = this.verified.mark();
    if (!(await this.users.exists(user.id))) return null;
    // keyed as authenticate() looks it up: the credentials as sent (passport-jwt got them through extractBearerToken)
    const token = bearerCredentials(request);
    if (token !== null) this.verified.remember(token, user, payload.exp, mark);
    return user;
  }
}
