import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedUser } from './authenticated-user';
import { bearerCredentials } from './bearer-token';
import { invalidToken } from './invalid-token';
import { IS_PUBLIC } from './public.decorator';
import { VerifiedTokens } from './verified-tokens';

/**
 * Global guard: every route needs a valid bearer token unless it is marked @Public(). A token this process
 * verified moments ago (VerifiedTokens) is taken at once; any other goes through Passport and passport-jwt
 * (JwtStrategy), used as they document.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly verified: VerifiedTokens,
  ) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthenticatedUser }>();
    // the credentials as sent: only a byte-identical copy of a token verified before can match
    const token = bearerCredentials(request);
    const user = token === null ? undefined : this.verified.get(token);
    if (!user) return super.canActivate(context);
    request.user = user;
    return true;
  }

  /** One answer for every failure (missing, malformed, forged, expired, deleted user); the filter adds WWW-Authenticate. */
  override handleRequest<TUser>(error: unknown, user: TUser | false | null): TUser {
    if (error) throw error; // not about the token: looking up its user failed (the database is down: 503)
    if (!user) throw invalidToken();
    return user;
  }
}
