/**
 * Who a request is from, as the bearer token says. The token is not checked against the users table up
 * front (that would cost every request a round trip): a deleted account owns no tasks, so only routes that
 * find nothing ask whether the account still exists, and answer 401 when it does not.
 */
export interface AuthenticatedUser {
  id: string;
}
