import type { FastifyInstance, FastifyRequest } from 'fastify';
import { visit } from 'jsonc-parser';
import { TextDecoder } from 'node:util';
import { problem, ProblemException } from '../errors/problem';
import { UnsupportedBody } from '../validation/unsupported-body';
import { decodedBody } from './content-encoding';

/** Deeper JSON than any DTO needs is refused before it is parsed (deep nesting costs stack, not bytes). */
const MAX_DEPTH = 32;
/** application/json and application/*+json, whatever their parameters. */
const JSON_TYPE = /^application\/(?:[\w!#$%&'*.^`|~-]+\+)?json\s*(?:;|$)/i;

/** Counts [ and { outside strings; cheap over a body that is at most 100 KiB. */
function isShallow(buffer: Buffer): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buffer.length; i++) {
    const c = buffer[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) return false;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return true;
}

const notJson = () => new ProblemException(problem(400, 'The body is not valid JSON (a JSON object is expected)'));

// fatal: a malformed byte sequence (overlong forms and encoded surrogates included) is refused, never
// replaced with U+FFFD and stored as if the client had sent that
const UTF_8 = new TextDecoder('utf-8', { fatal: true });
const unsupportedCharset = () => new ProblemException(problem(415, 'The body must be JSON in UTF-8'));

/** The decoder of the body's charset: UTF-8 when none is named; other UTF encodings as body-parser read them. */
function decoderOf(request: FastifyRequest): TextDecoder {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1].toLowerCase() ?? 'utf-8';
  if (charset === 'utf-8') return UTF_8;
  if (!charset.startsWith('utf-')) throw unsupportedCharset();
  try {
    return new TextDecoder(charset, { fatal: true }); // strips a byte order mark, as body-parser did
  } catch {
    throw unsupportedCharset();
  }
}

function decode(request: FastifyRequest, buffer: Buffer): string {
  const decoder = decoderOf(request);
  try {
    return decoder.decode(buffer);
  } catch {
    throw new ProblemException(problem(400, `The body is not well-formed ${decoder.encoding.toUpperCase()}`));
  }
}

/** A key echoed in a problem: a key can be as long as the body. */
const shortKey = (key: string) => JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);

/**
 * JSON.parse keeps the last of two equal keys, while a proxy or a WAF in front may act on the first: refuse
 * the body instead. `text` is already known to be JSON; keys are compared as decoded (`"a"` and `"\u0061"` are one).
 */
function refuseDuplicateKeys(text: string): void {
  const objects: Set<string>[] = [];
  visit(
    text,
    {
      onObjectBegin: () => void objects.push(new Set()),
      onObjectEnd: () => void objects.pop(),
      onObjectProperty: (key) => {
        const keys = objects[objects.length - 1];
        if (keys.has(key)) throw new ProblemException(problem(400, `The JSON body has the key ${shortKey(key)} twice in one object`));
        keys.add(key);
      },
    },
    { disallowComments: true },
  );
}

/**
 * An object or an array (strict), at most 32 levels deep, well-formed in its charset, with no key twice in
 * one object; an empty body is {} (as body-parser read it).
 */
function parseJson(request: FastifyRequest, buffer: Buffer): unknown {
  if (!isShallow(buffer)) throw new ProblemException(problem(400, `The JSON body is nested deeper than ${MAX_DEPTH} levels`));
  const text = decode(request, buffer);
  if (text.length === 0) return {};
  const first = text.trimStart()[0]; // wider than JSON's whitespace, but JSON.parse refuses the rest anyway
  if (first !== '{' && first !== '[') throw notJson();
  let value: unknown;
  try {
    value = JSON.parse(text); // not Fastify's secure-json-parse: a "__proto__" key must reach validation, which names it
  } catch {
    throw notJson();
  }
  refuseDuplicateKeys(text);
  return value;
}

/** type-is's test: a body is there when its length is given (even 0) or it is chunked. */
function hasBody(request: FastifyRequest): boolean {
  return request.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(request.headers['content-length'] ?? NaN));
}


/** A body with content: chunked, or a Content-Length above 0 (an empty body without a type stays "no body"). */
function hasContent(request: FastifyRequest): boolean {
  return request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
}

/** Before a JSON body is read: its charset must be a UTF (415), and its Content-Encoding is decoded (415 if unknown). */
function decodeJsonBody(request: FastifyRequest, payload: NodeJS.ReadableStream): NodeJS.ReadableStream {
  if (!hasBody(request) || !JSON_TYPE.test(request.headers['content-type'] ?? '')) return payload;
  decoderOf(request);
  return decodedBody(request.headers, payload);
}

/**
 * The only body parser. JSON bodies: at most 100 KiB once decoded (Fastify's bodyLimit), objects or arrays
 * only, at most 32 levels deep, well-formed UTF-8 (or the UTF named), no key twice. A body of any other type
 * (or none) is not read: validation then answers 415.
 */
export function registerJsonBody(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addHook('preParsing', async (request, _reply, payload) => decodeJsonBody(request, payload));
  fastify.addContentTypeParser(JSON_TYPE, { parseAs: 'buffer' }, async (request: FastifyRequest, body: Buffer) => parseJson(request, body));
  fastify.addContentTypeParser('*', (request, _payload, done) =>
    done(null, hasContent(request) ? new UnsupportedBody(request.headers['content-type']) : undefined),
  );
}

