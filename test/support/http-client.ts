/**
 * The tests' one HTTP client below supertest: requests to a server on a port (a built service, an in-process
 * app listening on 127.0.0.1), bodies sent byte for byte, and raw bytes on a TCP connection.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

export interface HttpResult {
  status: number; // 0: no HTTP answer (see error)
  headers: http.IncomingHttpHeaders;
  /** the parsed JSON answer (or its text): whatever the route answers, read field by field by the tests */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
  ms: number;
  error?: string;
  startedAt: number;
  endedAt: number;
}

export interface RequestOptions {
  /** sent as JSON, with its Content-Type */
  body?: unknown;
  /** sent as it is, with only the headers given; a list is written chunk by chunk (Transfer-Encoding: chunked) */
  bytes?: string | Buffer | Buffer[];
  token?: string;
  headers?: Record<string, string>;
  /** the client gives up after this long (status 0, error 'client-timeout'): how a hang shows */
  timeoutMs?: number;
  agent?: http.Agent;
  /** called once the request has been written to the socket */
  onSent?: () => void;
}

function parsed(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text; // not JSON
  }
}

/** One request that never throws: network errors and client time-outs come back as status 0. */
export function request(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<HttpResult> {
  const url = new URL(path, baseUrl);
  const json = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  const chunks = options.bytes === undefined ? (json ? [json] : []) : Array.isArray(options.bytes) ? options.bytes : [Buffer.from(options.bytes)];
  const headers: Record<string, string> = options.bytes === undefined ? { accept: 'application/json' } : {};
  if (json) headers['content-type'] = 'application/json';
  if (!Array.isArray(options.bytes) && chunks.length) headers['content-length'] = String(chunks[0].length);
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  Object.assign(headers, options.headers);
  const startedAt = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<HttpResult, 'ms' | 'startedAt' | 'endedAt'>) => {
      if (settled) return;
      settled = true;
      const endedAt = Date.now();
      resolve({ ...result, ms: endedAt - startedAt, startedAt, endedAt });
    };
    const failed = (e: Error) => finish({ status: 0, headers: {}, body: undefined, text: '', error: (e as NodeJS.ErrnoException).code ?? e.message });
    const req = http.request(url, { method, headers, agent: options.agent ?? false }, (res) => {
      const received: Buffer[] = [];
      res.on('data', (c: Buffer) => received.push(c));
      res.on('error', failed);
      res.on('end', () => {
        const text = Buffer.concat(received).toString('utf8');
        finish({ status: res.statusCode ?? 0, headers: res.headers, body: parsed(text), text });
      });
    });
    if (options.timeoutMs) {
      req.setTimeout(options.timeoutMs, () => {
        finish({ status: 0, headers: {}, body: undefined, text: '', error: 'client-timeout' });
        req.destroy();
      });
    }
    req.on('error', failed);
    if (!Array.isArray(options.bytes)) return void req.end(chunks[0], () => options.onSent?.());
    // one chunk after the other, so that a server answering early (413) can stop the upload
    const write = (i: number): void => {
      if (req.destroyed) return;
      if (i === chunks.length) return void req.end(() => options.onSent?.());
      req.write(chunks[i], () => write(i + 1));
    };
    write(0);
  });
}

/** An in-process server (supertest's `t.http`) listening on 127.0.0.1, for the clients here: its base URL. */
export async function listen(server: http.Server): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Writes `raw` on a TCP connection and nothing more; what came back by the time the server closed it, and when. */
export function exchange(baseUrl: string, raw: string, timeoutMs = 20_000): Promise<{ answer: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.connect(Number(new URL(baseUrl).port), '127.0.0.1', () => socket.write(raw));
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`still open after ${timeoutMs} ms`)));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve({ answer, ms: Date.now() - started }));
    socket.on('error', (error) => (answer ? undefined : reject(error)));
  });
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** `exchange`, read as one HTTP answer; a connection closed without one rejects. */
export async function rawRequest(baseUrl: string, raw: string): Promise<RawAnswer> {
  const { answer } = await exchange(baseUrl, raw);
  if (!answer) throw new Error('connection closed without an answer');
  const [head, ...rest] = answer.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const text = rest.join('\r\n\r\n');
  return { status: Number(statusLine.split(' ')[1]), headers, text, body: parsed(text) };
}
