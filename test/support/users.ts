import type { Pool } from 'pg';

/** How many accounts there are, or have exactly this e-mail (as the service stores it: lower-cased). */
export async function userCount(db: Pool, email?: string): Promise<number> {
  const { rows } = email === undefined
    ? await db.query<{ n: number }>('select count(*)::int as n from users')
    : await db.query<{ n: number }>('select count(*)::int as n from users where email = $1', [email.toLowerCase()]);
  return rows[0].n;
}

/** The stored e-mails matching a LIKE pattern, in order. */
export async function storedEmails(db: Pool, like: string): Promise<string[]> {
  const { rows } = await db.query<{ email: string }>('select email from users where email like $1 order by email', [like]);
  return rows.map((r) => r.email);
}
