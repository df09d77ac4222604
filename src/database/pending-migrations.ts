import type { MikroORM } from '@mikro-orm/core';
import { readdirSync } from 'node:fs';
import { migrationsDir } from './orm-options';

/** The migration files' names as MikroORM records them (no extension); declarations and maps are not migrations. */
export function migrationNames(dir = migrationsDir): string[] {
  return readdirSync(dir)
    .filter((file) => /\.(js|ts)$/.test(file) && !file.endsWith('.d.ts'))
    .map((file) => file.replace(/\.(js|ts)$/, ''));
}

/**
 * Whether any migration file is not yet recorded as applied: one query, so a start with nothing to apply
 * does not load the migrator. Anything unexpected (no table yet, an error) counts as pending: the migrator,
 * under its lock, has the last word.
 */
export async function hasPendingMigrations(orm: MikroORM, names = migrationNames()): Promise<boolean> {
  try {
    const rows = await orm.em.getConnection().execute<{ name: string }[]>('select "name" from "mikro_orm_migrations"');
    const applied = new Set(rows.map((row: { name: string }) => row.name.replace(/\.(js|ts)$/, '')));
    return names.some((name) => !applied.has(name));
  } catch {
    return true;
  }
}
