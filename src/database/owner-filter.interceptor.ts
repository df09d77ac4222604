import { EntityManager } from '@mikro-orm/postgresql';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { OWNER_FILTER, ownerParams } from './owner-filter';

/**
 * Runs after the JWT guard: sets the owner filter's userId on this request's EntityManager fork from the
 * authenticated user. Public routes have no user and leave it unset, so any query on an owned entity fails.
 */
@Injectable()
export class OwnerFilterInterceptor implements NestInterceptor {
  constructor(private readonly em: EntityManager) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const user = context.switchToHttp().getRequest<FastifyRequest & { user?: { id: string } }>().user;
    if (user) this.em.setFilterParams(OWNER_FILTER, ownerParams(user.id));
    return next.handle();
  }
}
