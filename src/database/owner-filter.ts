import type { FilterDef } from '@mikro-orm/core';
import { isUuid } from '../validation/uuid';

export const OWNER_FILTER = 'owner';

export interface OwnerFilterParams {
  userId: string;
}

/** Thrown when an owned entity is queried without an owner: the filter fails closed. */
export class MissingOwnerError extends Error {
  constructor() {
    super(`Query on an owned entity without the '${OWNER_FILTER}' filter's userId`);
  }
}

/**
 * The owner rule, written once. MikroORM adds it to every query on an owned entity and compiles it into the
 * table's row-level security policy (`user_id = current_setting('mikro.owner.userId')::uuid`), calling it with
 * placeholder arguments: so it stays a plain mapping. It still refuses a missing, blank or non-string userId,
 * so that no default can ever show every row.
 */
export function ownerCondition(params: Partial<OwnerFilterParams> | undefined): { user: string } {
  const userId = params?.userId;
  if (typeof userId !== 'string' || userId === '' || userId.trim() !== userId) {
    throw new MissingOwnerError();
  }
  return { user: userId };
}

/** The filter's parameters for one user: only a UUID is an owner (OwnerFilterInterceptor sets them from the token's user). */
export function ownerParams(userId: unknown): OwnerFilterParams {
  if (!isUuid(userId)) throw new MissingOwnerError();
  return { userId };
}

/**
 * The `owner` filter, declared on each owned entity with @Filter(ownerFilter) (MikroORM takes a row-level
 * security filter only from an entity): on by default, and materialised as that table's policy.
 */
export const ownerFilter = {
  name: OWNER_FILTER,
  cond: ownerCondition,
  default: true,
  rls: true,
} satisfies FilterDef;
