import type { FastifyRequest } from 'fastify';
import { extractBearerToken } from './bearer-token';

const sut = extractBearerToken;

const segment = (value: string) => Buffer.from(value).toString('base64url');
const token = (payload: string) => `${segment('{"alg":"HS256","typ":"JWT"}')}.${segment(payload)}.c2lnbmF0dXJl`;
const withAuthorization = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as FastifyRequest;

describe(extractBearerToken.name, () => {
  const good = token('{"sub":"x","exp":1}');

  it('returns the token of a Bearer header whose payload is a JSON object', () => {
    expect(sut(withAuthorization(`Bearer ${good}`))).toBe(good);
  });

  it('reads the scheme case-insensitively (RFC 9110 §11.1)', () => {
    expect(sut(withAuthorization(`bearer ${good}`))).toBe(good);
    expect(sut(withAuthorization(`BEARER ${good}`))).toBe(good);
  });

  it.each([
    ['no header', undefined],
    ['another scheme', `Basic ${good}`],
    ['the scheme alone', 'Bearer'],
    ['a token without a payload segment', 'Bearer abc'],
    ['a payload that is JSON null', `Bearer ${token('null')}`],
    ['a payload that is a JSON string', `Bearer ${token('"sub"')}`],
    ['a payload that is a JSON number', `Bearer ${token('1')}`],
    ['a payload that is a JSON array', `Bearer ${token('[{"sub":"x"}]')}`],
    ['a payload that is not JSON', `Bearer ${token('{sub: x')}`],
    ['a header with crit', `Bearer ${segment('{"alg":"HS256","crit":["exp"]}')}.${segment('{"sub":"x"}')}.c2lnbmF0dXJl`],
    ['a header with an empty crit', `Bearer ${segment('{"alg":"HS256","crit":[]}')}.${segment('{"sub":"x"}')}.c2lnbmF0dXJl`],
    ['a header that is not a JSON object', `Bearer ${segment('["HS256"]')}.${segment('{"sub":"x"}')}.c2lnbmF0dXJl`],
  ])('returns null for %s', (_label, authorization) => {
    expect(sut(withAuthorization(authorization))).toBeNull();
  });
});
