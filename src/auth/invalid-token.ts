import { problem, ProblemException } from '../errors/problem';

/**
 * The one answer for every token that does not authenticate: missing, malformed, forged, expired, or whose
 * account has been deleted since it was issued. The exception filter adds WWW-Authenticate: Bearer.
 */
export function invalidToken(): ProblemException {
  return new ProblemException(problem(401, 'A valid bearer token is required'));
}
