import { createServer, type Server } from 'node:net';
import { freePort } from '../../test/support/free-port';
import { ensurePortFree, PortInUseError } from './ensure-port-free';

function listen(port: number, host: string): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

describe(ensurePortFree.name, () => {
  it('fails with one line naming the port when something listens there', async () => {
    const port = await freePort();
    const taken = await listen(port, '127.0.0.1');
    try {
      const check = ensurePortFree(port, '127.0.0.1');
      await expect(check).rejects.toBeInstanceOf(PortInUseError);
      await expect(check).rejects.toThrow(`Port ${port} on 127.0.0.1 is already in use (is the service already running?): stop that process, or set PORT to a free port`);
      // all interfaces include the taken one
      await expect(ensurePortFree(port, '0.0.0.0')).rejects.toThrow(`Port ${port} on 0.0.0.0 is already in use`);
    } finally {
      taken.close();
    }
  });

  it('passes on a free port and leaves it free for the server', async () => {
    const port = await freePort();
    await expect(ensurePortFree(port, '127.0.0.1')).resolves.toBeUndefined();
    const server = await listen(port, '127.0.0.1');
    server.close();
  });
});
