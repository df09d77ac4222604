import { SignJWT } from 'jose';

/** What the servers under test are started with, so that the bench's own tokens pass their checks. */
export const BENCH_JWT = { issuer: 'task-service', audience: 'task-service' };

/** An HS256 access token for `sub`, signed with the servers' secret (as the service's own login would issue). */
export function accessToken(secret: string, sub: string, expiresIn = '12h'): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer(BENCH_JWT.issuer)
    .setAudience(BENCH_JWT.audience).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
}
