/** Query parameters whose values are credentials (compared case-insensitively, once percent-decoded). */
const CREDENTIAL_PARAMETERS = new Set([
  'access_token', 'token', 'id_token', 'refresh_token', 'api_key', 'apikey', 'key', 'password', 'secret', 'code', 'jwt',
]);

export const REDACTED = '[REDACTED]';

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).trim().toLowerCase().replace(/\[\]$/, '');
  } catch {
    return name.toLowerCase();
  }
}

/**
 * The URL as it may be logged: the value of every credential-looking query parameter (`?access_token=...`,
 * `token`, `api_key`, `password`, `code`, ...) replaced by [REDACTED]. Path and other parameters are kept.
 */
export function loggableUrl(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return url;
  const query = url.slice(start + 1).split('&').map((pair) => {
    const equals = pair.indexOf('=');
    const name = equals === -1 ? pair : pair.slice(0, equals);
    return CREDENTIAL_PARAMETERS.has(decodedName(name)) && equals !== -1 ? `${name}=${REDACTED}` : pair;
  });
  return `${url.slice(0, start)}?${query.join('&')}`;
}
