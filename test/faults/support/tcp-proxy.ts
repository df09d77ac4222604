import net from 'node:net';
import { FrontendMessages } from './pg-frontend';

export type ProxyMode =
  | { kind: 'pass' }
  /** every chunk, both ways, is held back `ms` before it is forwarded */
  | { kind: 'delay'; ms: number }
  /**
   * a network that stops answering: connections stay open and nothing arrives either way (bytes are held, as
   * TCP would keep retransmitting them, and delivered if the network comes back); new connections are
   * accepted but never reach the database
   */
  | { kind: 'blackhole' }
  /** every open connection is reset (RST) and new ones are reset at once */
  | { kind: 'reset' };

/** One direction of one connection: chunks wait here until the mode lets them through, in order. */
class Pipe {
  private readonly queue: { chunk: Buffer; at: number }[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly proxy: TcpProxy, readonly to: net.Socket) {}

  push(chunk: Buffer): void {
    this.queue.push({ chunk, at: Date.now() });
    this.pump();
  }

  pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const mode = this.proxy.currentMode;
    if (mode.kind === 'blackhole' || mode.kind === 'reset') return;
    const delay = mode.kind === 'delay' ? mode.ms : 0;
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0].at + delay <= now) {
      const { chunk } = this.queue.shift()!;
      if (!this.to.destroyed) this.to.write(chunk);
    }
    if (this.queue.length > 0) {
      this.timer = setTimeout(() => this.pump(), this.queue[0].at + delay - now);
    }
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.queue.length = 0;
  }
}

interface Pair {
  client: net.Socket;
  server?: net.Socket;
  pipes: Pipe[];
  closing?: boolean;
  /** the database's answers on this connection are swallowed (see cutAt) */
  mute?: boolean;
}

export interface CutOptions {
  /**
   * SQL to wait for, e.g. 'COMMIT': the next client message that runs a statement whose text contains it,
   * however it is sent (a simple Query, Parse + Bind, or a Bind of a statement prepared earlier: see pg-frontend.ts)
   */
  pattern: string;
  /**
   * Only once a message containing this has gone through (on any connection): e.g. the write, so that the cut hits
   * the COMMIT that follows it and not one of an earlier transaction of the same request
   */
  after?: string;
  /**
   * true: the message reaches the database (it is carried out) but its answer never comes back, and the
   * connection is reset shortly after: the client cannot know the outcome. false: reset before it is delivered.
   */
  deliver: boolean;
  /** how the connection ends: 'reset' (RST, ECONNRESET) or 'close' (FIN, as a database that goes away does) */
  how?: 'reset' | 'close';
}

/**
 * A TCP proxy of the test's own between the service and the database. A mode applies to open connections
 * as well as new ones, as a real network fault would.
 */
export class TcpProxy {
  port = 0;
  private mode: ProxyMode = { kind: 'pass' };
  private readonly pairs = new Set<Pair>();
  private readonly server: net.Server;
  connectionsAccepted = 0;
  private trap?: CutOptions & { fired: (at: number) => void };
  /** sees the SQL of every statement the clients run or prepare (to learn which statements a request sends) */
  sniffer?: (texts: string[]) => void;

  constructor(private readonly targetPort: number, private readonly targetHost = '127.0.0.1') {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(targetPort: number, listenPort = 0): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(listenPort, '127.0.0.1', () => resolve());
    });
    proxy.port = (proxy.server.address() as net.AddressInfo).port;
    return proxy;
  }

  get currentMode(): ProxyMode {
    return this.mode;
  }

  setMode(mode: ProxyMode): void {
    this.mode = mode;
    for (const pair of [...this.pairs]) {
      if (mode.kind === 'reset') this.resetPair(pair);
      else {
        for (const pipe of pair.pipes) pipe.pump();
        if (pair.closing) this.closePair(pair);
      }
    }
  }

  /**
   * One shot: the next client message containing `pattern` is cut off (see CutOptions). Resolves with the time
   * it fired.
   */
  cutAt(options: CutOptions): Promise<number> {
    return new Promise((resolve) => (this.trap = { ...options, fired: resolve }));
  }

  disarm(): void {
    this.trap = undefined;
  }

  get openConnections(): number {
    return this.pairs.size;
  }

  async close(): Promise<void> {
    for (const pair of [...this.pairs]) this.resetPair(pair);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.connectionsAccepted++;
    client.on('error', () => undefined);
    if (this.mode.kind === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const server = net.connect(this.targetPort, this.targetHost);
    const toServer = new Pipe(this, server);
    const toClient = new Pipe(this, client);
    const pair: Pair = { client, server, pipes: [toServer, toClient] };
    this.pairs.add(pair);
    server.on('error', () => this.resetPair(pair));
    client.on('close', () => this.closePair(pair));
    server.on('close', () => this.closePair(pair));
    const messages = new FrontendMessages();
    client.on('data', (chunk: Buffer) => {
      const texts = messages.push(chunk);
      this.sniffer?.(texts);
      const trap = this.trap;
      if (trap && this.springs(trap, texts)) {
        this.trap = undefined;
        trap.fired(Date.now());
        const cut = () => (trap.how === 'close' ? this.endPair(pair) : this.resetPair(pair));
        if (!trap.deliver) return cut();
        pair.mute = true;
        toServer.push(chunk);
        setTimeout(cut, 300);
        return;
      }
      toServer.push(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      if (!pair.mute) toClient.push(chunk);
    });
  }

  /** Whether these statements spring the trap: the pattern's next one, once `after` has gone through. */
  private springs(trap: CutOptions, texts: string[]): boolean {
    for (const text of texts) {
      if (trap.after !== undefined) {
        if (text.includes(trap.after)) trap.after = undefined;
        continue;
      }
      if (text.includes(trap.pattern)) return true;
    }
    return false;
  }

  private resetPair(pair: Pair): void {
    for (const pipe of pair.pipes) pipe.clear();
    if (!pair.client.destroyed) pair.client.resetAndDestroy();
    if (pair.server && !pair.server.destroyed) pair.server.resetAndDestroy();
    this.pairs.delete(pair);
  }

  /** Both sides get a FIN: to the client it looks like the server closed the connection. */
  private endPair(pair: Pair): void {
    for (const pipe of pair.pipes) pipe.clear();
    pair.client.end();
    pair.server?.end();
    this.pairs.delete(pair);
  }

  private closePair(pair: Pair): void {
    pair.closing = true;
    // a peer that closed while the network is "down" is not heard of by the other side either
    if (this.mode.kind === 'blackhole') return;
    for (const pipe of pair.pipes) pipe.pump();
    if (!pair.client.destroyed) pair.client.end();
    if (pair.server && !pair.server.destroyed) pair.server.end();
    this.pairs.delete(pair);
  }
}
