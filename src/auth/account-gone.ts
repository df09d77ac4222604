import { problem, ProblemException } from '../errors/problem';

/** The token was valid but its account has been deleted since: the same 401 as any invalid token. */
export function accountGone(): ProblemException {
  return new ProblemException(problem(401, 'A valid bearer token is required'));
}
