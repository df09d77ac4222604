import type { MikroORM } from '@mikro-orm/core';

/** pg's Pool counters: connections open, idle among them, and queries waiting for one. */
export interface PoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/**
 * The app's connection pool, for its gauges only (no query goes through here): pg's Pool, as MikroORM's
 * PostgreSQL driver documents what its public getNativeClient() returns.
 */
export async function connectionPool(orm: MikroORM): Promise<PoolCounts> {
  return (await orm.em.getConnection().getNativeClient()) as PoolCounts;
}
