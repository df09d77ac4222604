/** A task's ETag is its version, quoted: a strong validator that changes with every update. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/**
 * What an If-Match header accepts: `undefined` when absent (unconditional), `'*'` for any current version,
 * else the listed versions. Weak or malformed tags match nothing (If-Match compares strongly): 412.
 */
export function acceptedVersions(ifMatch: string | undefined): '*' | number[] | undefined {
  if (ifMatch === undefined) return undefined;
  if (ifMatch.trim() === '*') return '*';
  return ifMatch
    .split(',')
    // opaque tags compare character by character: "01" is not "1"
    .map((tag) => /^"([1-9]\d{0,8})"$/.exec(tag.trim()))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => Number(match[1]));
}
