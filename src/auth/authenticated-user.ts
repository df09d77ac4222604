/**
 * Who a request is from, as the bearer token says: an account that existed when this process verified the
 * token (JwtStrategy), and still does unless it was deleted while the request ran.
 */
export interface AuthenticatedUser {
  id: string;
}
