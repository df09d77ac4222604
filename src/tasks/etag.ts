import { validationProblem } from '../errors/problem';

/** A task's ETag is its version, quoted: a strong validator that changes with every update. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** What an If-Match header asks for: any current version (`*`), or the versions its strong tags name. */
export interface IfMatch {
  versions: '*' | number[];
  /** Only weak tags were given: they never match (If-Match uses strong comparison, RFC 9110), whatever the version. */
  onlyWeak: boolean;
}

/**
 * One list element of If-Match or If-None-Match (RFC 9110 §13.1): `[W/]"opaque"`, with optional whitespace around it and
 * empty elements allowed; etagc is %x21 / %x23-7E / obs-text, so a tag may hold a comma.
 */
const ELEMENT = /[ \t]*(?:(W\/)?"([\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(?:,|$)/y;
/** Our tags are versions: 1 to 999 999 999, no leading zero (opaque tags compare character by character). */
const VERSION = /^[1-9]\d{0,8}$/;

const malformed = (header: 'If-Match' | 'If-None-Match') =>
  validationProblem([{ field: header, message: 'must be * or a list of entity tags such as "3" (quoted), e.g. the ETag of a previous answer' }]);

/** The entity tags of an If-Match or If-None-Match value, each with whether it is weak; `*` stands alone. */
function parseTags(header: string, name: 'If-Match' | 'If-None-Match'): '*' | { weak: boolean; opaque: string }[] {
  if (header.trim() === '*') return '*';
  const tags: { weak: boolean; opaque: string }[] = [];
  for (let at = 0; at < header.length; ) {
    ELEMENT.lastIndex = at;
    const match = ELEMENT.exec(header);
    if (!match || match[0].length === 0) throw malformed(name);
    at += match[0].length;
    if (match[2] !== undefined) tags.push({ weak: match[1] !== undefined, opaque: match[2] }); // else an empty list element
  }
  if (tags.length === 0) throw malformed(name);
  return tags;
}

/** The versions some tags name (opaque tags that are not versions name none). */
const versionsOf = (tags: { opaque: string }[]): number[] => tags.filter((tag) => VERSION.test(tag.opaque)).map((tag) => Number(tag.opaque));

/**
 * Parses an If-Match header: `undefined` when absent (the update is unconditional). A value that is not
 * `*` or a list of entity tags (`3` unquoted, garbage, an empty value) throws a 400 problem naming the header.
 */
export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  const tags = parseTags(header, 'If-Match');
  if (tags === '*') return { versions: '*', onlyWeak: false };
  const strong = tags.filter((tag) => !tag.weak);
  return { versions: versionsOf(strong), onlyWeak: strong.length === 0 };
}

/** What an If-None-Match header asks for: no current version at all (`*`), or none of the versions its tags name. */
export interface IfNoneMatch {
  versions: '*' | number[];
}

/**
 * Parses an If-None-Match header: `undefined` when absent. It uses weak comparison (RFC 9110 §13.1.2), so
 * `W/"3"` names version 3 as `"3"` does. A value that is not `*` or a list of entity tags throws a 400 problem
 * naming the header.
 */
export function parseIfNoneMatch(header: string | undefined): IfNoneMatch | undefined {
  if (header === undefined) return undefined;
  const tags = parseTags(header, 'If-None-Match');
  return { versions: tags === '*' ? '*' : versionsOf(tags) };
}

/** The preconditions of one request, as parsed from its If-Match and If-None-Match headers. */
export interface Preconditions {
  ifMatch?: IfMatch;
  ifNoneMatch?: IfNoneMatch;
}

/** Parses both precondition headers; 400 naming the header for one that is not entity tags. */
export function parsePreconditions(ifMatch: string | undefined, ifNoneMatch: string | undefined): Preconditions {
  return { ifMatch: parseIfMatch(ifMatch), ifNoneMatch: parseIfNoneMatch(ifNoneMatch) };
}

/**
 * Which precondition is false for a task at this version, in RFC 9110 §13.2.2 order (If-Match before
 * If-None-Match), or undefined when the request may go ahead. Only called for a task that exists.
 */
export function failedPrecondition(conditions: Preconditions, version: number): 'If-Match' | 'If-None-Match' | undefined {
  const { ifMatch, ifNoneMatch } = conditions;
  if (ifMatch && ifMatch.versions !== '*' && !ifMatch.versions.includes(version)) return 'If-Match';
  if (ifNoneMatch && (ifNoneMatch.versions === '*' || ifNoneMatch.versions.includes(version))) return 'If-None-Match';
  return undefined;
}

/** A condition on the version column, in MikroORM's query operators. */
export interface VersionCondition {
  $in?: number[];
  $nin?: number[];
}

/**
 * The versions at which a conditional write may go ahead, as a condition on the version column that the write
 * itself carries (so no other write can come between the check and the change); undefined when any version will
 * do. `If-None-Match: *` admits none: the task exists whenever there is anything to write.
 */
export function versionCondition(conditions: Preconditions): VersionCondition | undefined {
  const { ifMatch, ifNoneMatch } = conditions;
  if (ifNoneMatch?.versions === '*') return { $in: [] };
  const condition: VersionCondition = {};
  if (ifMatch && ifMatch.versions !== '*') condition.$in = ifMatch.versions;
  if (ifNoneMatch && ifNoneMatch.versions.length > 0) condition.$nin = ifNoneMatch.versions;
  return Object.keys(condition).length > 0 ? condition : undefined;
}
