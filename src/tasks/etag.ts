import { validationProblem } from '../errors/problem';

/** A task's ETag is its version, quoted: a strong validator that changes with every update. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** What an If-Match header asks for: any current version (`*`), or the versions its strong tags name. */
export interface IfMatch {
  versions: '*' | number[];
  /** Only weak tags were given: they never match for a PATCH (RFC 9110 strong comparison), whatever the version. */
  onlyWeak: boolean;
}

/**
 * One list element of If-Match (RFC 9110 §13.1.1): `[W/]"opaque"`, with optional whitespace around it and
 * empty elements allowed; etagc is %x21 / %x23-7E / obs-text, so a tag may hold a comma.
 */
const ELEMENT = /[ \t]*(?:(W\/)?"([\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(?:,|$)/y;
/** Our tags are versions: 1 to 999 999 999, no leading zero (opaque tags compare character by character). */
const VERSION = /^[1-9]\d{0,8}$/;

const malformed = () =>
  validationProblem([{ field: 'If-Match', message: 'must be * or a list of entity tags such as "3" (quoted), e.g. the ETag of a previous answer' }]);

/**
 * Parses an If-Match header: `undefined` when absent (the update is unconditional). A value that is not
 * `*` or a list of entity tags (`3` unquoted, garbage, an empty value) throws a 400 problem naming the header.
 */
export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === '*') return { versions: '*', onlyWeak: false };
  const versions: number[] = [];
  let strong = 0;
  let weak = 0;
  for (let at = 0; at < header.length; ) {
    ELEMENT.lastIndex = at;
    const match = ELEMENT.exec(header);
    if (!match || match[0].length === 0) throw malformed();
    at += match[0].length;
    if (match[2] === undefined) continue; // an empty list element
    if (match[1]) weak++;
    else {
      strong++;
      if (VERSION.test(match[2])) versions.push(Number(match[2]));
    }
  }
  if (strong + weak === 0) throw malformed();
  return { versions, onlyWeak: strong === 0 };
}
