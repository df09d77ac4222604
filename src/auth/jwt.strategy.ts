import { Inject, Injectable } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config';
import { isUuid } from '../http/uuid';
import type { AuthenticatedUser } from './authenticated-user';
import { extractBearerToken } from './bearer-token';

export const CLOCK_TOLERANCE_SECONDS = 5;

interface AccessTokenPayload {
  sub?: unknown;
  exp?: unknown;
}

/**
 * Bearer tokens: HS256 only, issuer and audience checked, `exp` required, the key being JWT_SECRET's
 * UTF-8 bytes. Whether the account still exists is checked where it matters (see AuthenticatedUser).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
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
    });
  }

  /** Returning null makes the guard answer 401. */
  validate(payload: AccessTokenPayload): AuthenticatedUser | null {
    // jsonwebtoken accepts a token without exp; we do not
    if (typeof payload.exp !== 'number') return null;
    if (typeof payload.sub !== 'string' || !isUuid(payload.sub)) return null;
    return { id: payload.sub.toLowerCase() };
  }
}
