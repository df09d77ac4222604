import type { IncomingHttpHeaders } from 'node:http';
import { Transform, TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { problem, ProblemException } from '../errors/problem';

type Decoder = () => Transform;

const DECODERS: Record<string, Decoder | undefined> = {
  gzip: () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
  // Node 22.15+ and 24: the same encodings body-parser accepted
  ...('createZstdDecompress' in zlib && { zstd: () => (zlib as unknown as { createZstdDecompress: Decoder }).createZstdDecompress() }),
};

/** Counts the bytes that arrive, so Fastify can hold the encoded length against Content-Length and the limit. */
class EncodedLength extends Transform {
  receivedEncodedLength = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.receivedEncodedLength += chunk.length;
    done(null, chunk);
  }
}

/**
 * The decoded body stream for a Content-Encoding (identity: the stream itself). Fastify's bodyLimit then
 * applies to the decoded bytes, so a compression bomb is a 413. An unknown encoding is a 415.
 */
export function decodedBody(headers: IncomingHttpHeaders, payload: NodeJS.ReadableStream): NodeJS.ReadableStream {
  const encoding = (headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return payload;
  const decoder = DECODERS[encoding];
  if (!decoder) throw new ProblemException(problem(415, 'The body must be JSON in UTF-8'));
  const counted = new EncodedLength();
  const decoded = decoder();
  payload.pipe(counted).pipe(decoded);
  // not stream.pipeline: it would destroy the request, and with it the socket the answer must go out on
  payload.on('error', (error) => decoded.destroy(error));
  return Object.defineProperty(decoded, 'receivedEncodedLength', { get: () => counted.receivedEncodedLength });
}
