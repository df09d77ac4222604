import type { Options } from '@mikro-orm/core';
import { isUuid } from '../http/uuid';

export const OWNER_FILTER = 'owner';

/** Entities whose rows belong to one user through a `user` relation. Add a new owned entity here. */
export const OWNED_ENTITIES = ['Task'];

export interface OwnerFilterParams {
  userId: string;
}

/** Thrown when an owned entity is queried without an owner: the filter fails closed. */
export class MissingOwnerError extends Error {
  constructor() {
    super(`Query on an owned entity without the '${OWNER_FILTER}' filter's userId`);
  }
}

/** The condition itself refuses a missing, empty or malformed userId, so no default can ever show every row. */
export function ownerCondition(params: Partial<OwnerFilterParams> | undefined): { user: string } {
  const userId = params?.userId;
  if (!isUuid(userId)) {
    throw new MissingOwnerError();
  }
  return { user: userId };
}

/** A filter definition, as MikroORM's public Options type names it (FilterDef itself is not exported). */
type FilterDefinition = NonNullable<Options['filters']>[string];

/** The global `owner` filter, enabled by default on every owned entity. */
export const ownerFilter = {
  name: OWNER_FILTER,
  cond: ownerCondition,
  entity: OWNED_ENTITIES,
  default: true,
} satisfies FilterDefinition;
