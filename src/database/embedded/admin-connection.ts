import { Client } from 'pg';

/** One pg session for the bootstrap: it runs before any ORM can connect (the role and database are made here). */
export async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined); // a session cut after use: the query that needed it reports it
  await client.connect();
  return client;
}
