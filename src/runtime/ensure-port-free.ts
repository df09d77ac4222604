import { createServer } from 'node:net';
import { ConfigurationError } from '../config/app-config';

/** The API port is taken: start-up stops with this one line (a ConfigurationError: main.ts prints its message alone). */
export class PortInUseError extends ConfigurationError {}

/**
 * Fails with PortInUseError when something already listens on `host`:`port`. Checked before anything is started,
 * so that a second instance (a second `npm start`) leaves the first one's embedded database alone.
 */
export async function ensurePortFree(port: number, host: string): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new PortInUseError(`Port ${port} on ${host} is already in use (is the service already running?): stop that process, or set PORT to a free port`)
          : error,
      );
    });
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
