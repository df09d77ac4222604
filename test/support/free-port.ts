import { createServer } from 'node:net';

/** Below Linux's ephemeral range (32768-60999): no outgoing connection takes such a port between our check and the bind. */
const LOWEST = 20_000;
/** Each jest worker draws from a slice of its own, so that two workers do not pick the same port at once. */
const SLICE = 1_500;

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    // the servers under test listen on 0.0.0.0 or 127.0.0.1: a port free on 0.0.0.0 is free on both
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port that nothing listens on right now. Not one the kernel picks (port 0): that one is in the ephemeral
 * range, where an outgoing connection (to PostgreSQL, say) could take it before the server under test binds it.
 */
export async function freePort(): Promise<number> {
  const worker = Number(process.env.JEST_WORKER_ID ?? 0) % 8;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST + worker * SLICE + Math.floor(Math.random() * SLICE);
    if (await isFree(port)) return port;
  }
  throw new Error('no free port found below the ephemeral range');
}
