import { Inject, Injectable } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config';
import { isUuid } from '../http/uuid';
import type { AuthenticatedUser } from './authenticated-user';
import { bearerCredentials, extractBearerToken } from './bearer-token';
import { VerifiedTokens } from './verified-tokens';

export const CLOCK_TOLERANCE_SECONDS = 5;
/** Verified tokens kept in memory (a few hundred bytes each). */
const VERIFIED_TOKENS_KEPT = 10_000;

/** passport's typings name Express's request; at run time it is Fastify's (see bearer-token.ts). */
type PassportRequest = Parameters<Strategy['authenticate']>[0];

interface AccessTokenPayload {
  sub?: unknown;
  exp?: unknown;
}

/**
 * Bearer tokens: HS256 only, issuer and audience checked, `exp` required, the key being JWT_SECRET's
 * UTF-8 bytes. Whether the account still exists is checked where it matters (see AuthenticatedUser).
 * A token verified once is not verified again while it lasts (see VerifiedTokens).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly verified = new VerifiedTokens(VERIFIED_TOKENS_KEPT, CLOCK_TOLERANCE_SECONDS);

  constructor(@Inject(AppConfig) config: AppConfig) {
    super({
      jwtFromRequest: extractBearerToken,
      // a KeyObject made once: given a Buffer, jsonwebtoken tries (and fails) to parse it as a public key per request
      secretOrKey: createSecretKey(Buffer.from(config.jwt.secret, 'utf8')) as unknown as string,
      algorithms: ['HS256'],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: CLOCK_TOLERANCE_SECONDS },
      passReqToCallback: true,
    });
  }

  /** A token already verified and not expired succeeds at once; any other goes through passport-jwt. */
  override authenticate(request: PassportRequest, options?: unknown): void {
    // the credentials as sent: only a byte-identical copy of a token verified before can match
    const token = bearerCredentials(request as unknown as FastifyRequest);
    const user = token === null ? undefined : this.verified.get(token);
    if (user) this.success(user);
    else super.authenticate(request, options);
  }

  /** Called by passport-jwt with a verified payload; returning null makes the guard answer 401. */
  validate(request: FastifyRequest, payload: AccessTokenPayload): AuthenticatedUser | null {
    // jsonwebtoken accepts a token without exp; we do not
    if (typeof payload.exp !== 'number') return null;
    if (typeof payload.sub !== 'string' || !isUuid(payload.sub)) return null;
    const user = { id: payload.sub.toLowerCase() };
    // keyed as authenticate() looks it up: the credentials as sent (passport-jwt got them through extractBearerToken)
    const token = bearerCredentials(request);
    if (token !== null) this.verified.remember(token, user, payload.exp);
    return user;
  }
}
