import { SignJWT } from 'jose';

/**
 * What the servers under test are started with, so that the bench's own tokens pass their checks (the service
 * refuses a token that lives longer than its JWT_EXPIRES_IN_SECONDS).
 */
export const BENCH_JWT = { issuer: 'task-service', audience: 'task-service', expiresInSeconds: 12 * 3600 };

/** An HS256 access token for `sub`, signed with the servers' secret (as the service's own login would issue). */
export function accessToken(secret: string, sub: string, expiresIn = `${BENCH_JWT.expiresInSeconds}s`): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer(BENCH_JWT.issuer)
    .setAudience(BENCH_JWT.audience).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
}
