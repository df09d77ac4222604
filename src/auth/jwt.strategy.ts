import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config';
import { UserRepository } from '../users/user.repository';
import type { User } from '../users/user.entity';
import { isUuid } from '../http/uuid';
import { extractBearerToken } from './bearer-token';

export const CLOCK_TOLERANCE_SECONDS = 5;

interface AccessTokenPayload {
  sub?: unknown;
  exp?: unknown;
}

/**
 * Bearer tokens: HS256 only, issuer and audience checked, `exp` required, the key being JWT_SECRET's
 * UTF-8 bytes. The token's user must still exist: a deleted account's tokens are refused.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(AppConfig) config: AppConfig,
    private readonly users: UserRepository,
  ) {
    super({
      jwtFromRequest: extractBearerToken,
      secretOrKey: Buffer.from(config.jwt.secret, 'utf8'),
      algorithms: ['HS256'],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: CLOCK_TOLERANCE_SECONDS },
    });
  }

  /** Returning null makes the guard answer 401. */
  async validate(payload: AccessTokenPayload): Promise<User | null> {
    // jsonwebtoken accepts a token without exp; we do not
    if (typeof payload.exp !== 'number') return null;
    if (typeof payload.sub !== 'string' || !isUuid(payload.sub)) return null;
    return this.users.findOne({ id: payload.sub });
  }
}
