import type { FastifyRequest } from 'fastify';
import { ExtractJwt } from 'passport-jwt';

const fromBearerHeader = ExtractJwt.fromAuthHeaderAsBearerToken();

/** True when the token's middle segment is a JSON object, the only payload an access token can have. */
function hasObjectPayload(token: string): boolean {
  const payload = token.split('.')[1];
  if (!payload) return false;
  try {
    const value: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** The credentials of a Bearer Authorization header (scheme case-insensitive) as sent, or null. Not checked at all. */
export function bearerCredentials(request: FastifyRequest): string | null {
  return fromBearerHeader(request);
}

/**
 * The bearer token of the Authorization header (scheme case-insensitive), or null. A token whose payload
 * is not a JSON object counts as none: jsonwebtoken throws a TypeError on a signed `null` payload
 * instead of failing the verification, which would otherwise surface as a 500.
 */
export function extractBearerToken(request: FastifyRequest): string | null {
  const token = bearerCredentials(request);
  return token && hasObjectPayload(token) ? token : null;
}
