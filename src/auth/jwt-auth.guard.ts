import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { invalidToken } from './invalid-token';
import { IS_PUBLIC } from './public.decorator';

/** Global guard: every route needs a valid bearer token unless it is marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    return isPublic ? true : super.canActivate(context);
  }

  /** One answer for every failure (missing, malformed, forged, expired, deleted user); the filter adds WWW-Authenticate. */
  override handleRequest<TUser>(error: unknown, user: TUser | false | null): TUser {
    if (error) throw error; // not about the token: looking up its user failed (the database is down: 503)
    if (!user) throw invalidToken();
    return user;
  }
}
