import type { FastifyRequest } from 'fastify';
import { ExtractJwt } from 'passport-jwt';

const fromBearerHeader = ExtractJwt.fromAuthHeaderAsBearerToken();

/** The JSON object a base64url segment encodes, or undefined when it is anything else. */
function decodeObject(segment: string | undefined): Record<string, unknown> | undefined {
  if (!segment) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when the token's payload is a JSON object, the only payload an access token can have, and its header
 * has no `crit`: that names extensions the recipient must understand or refuse (RFC 7515 §4.1.11), and this
 * service understands none (jsonwebtoken ignores it).
 */
function hasAcceptableShape(token: string): boolean {
  const [header, payload] = token.split('.');
  const decodedHeader = decodeObject(header);
  return decodedHeader !== undefined && !Object.hasOwn(decodedHeader, 'crit') && decodeObject(payload) !== undefined;
}

/** The credentials of a Bearer Authorization header (scheme case-insensitive) as sent, or null. Not checked at all. */
export function bearerCredentials(request: FastifyRequest): string | null {
  return fromBearerHeader(request);
}

/**
 * The bearer token of the Authorization header (scheme case-insensitive), or null. A token whose payload
 * is not a JSON object counts as none: jsonwebtoken throws a TypeError on a signed `null` payload
 * instead of failing the verification, which would otherwise surface as a 500. So does one with a `crit` header.
 */
export function extractBearerToken(request: FastifyRequest): string | null {
  const token = bearerCredentials(request);
  return token && hasAcceptableShape(token) ? token : null;
}
