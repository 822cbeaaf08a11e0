/**
 * A parser for the `WWW-Authenticate` response header (RFC 9110 §11.6.1, §11.2):
 *
 *     WWW-Authenticate = #challenge
 *     challenge   = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *     auth-param  = token BWS "=" BWS ( token / quoted-string )
 *     token68     = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 *
 * It is a single left-to-right scan (no backtracking regular expressions), caps the input length,
 * the number of challenges and parameters, and never throws: malformed input yields the challenges
 * parsed before the defect.
 */

/** One parsed challenge. Scheme and parameter names are lowercased (they are case-insensitive). */
export interface WwwAuthenticateChallenge {
  scheme: string;
  /** Auth-params by lowercase name (first occurrence wins); e.g. `resource_metadata`, `scope`, `error`. */
  params: Record<string, string>;
  token68?: string;
}

/** Headers longer than this are not parsed at all. */
export const MAX_WWW_AUTHENTICATE_LENGTH = 8192;
const MAX_CHALLENGES = 16;
const MAX_PARAMS = 32;

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

/**
 * Parses a `WWW-Authenticate` header value into its challenges (RFC 9110 §11.6.1). Returns `[]` for
 * a missing, empty, oversized or unparseable value.
 */
export function parseWwwAuthenticate(header: string | null | undefined): WwwAuthenticateChallenge[] {
  if (typeof header !== 'string' || header.length === 0 || header.length > MAX_WWW_AUTHENTICATE_LENGTH) {
    return [];
  }
  const s = header;
  let i = 0;
  const challenges: WwwAuthenticateChallenge[] = [];

  const skipWs = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const skipWsAndCommas = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TCHAR.test(s[i] as string)) i++;
    return s.slice(start, i);
  };
  /** Reads a quoted-string (RFC 9110 §5.6.4) starting at `"`; undefined when unterminated. */
  const readQuoted = (): string | undefined => {
    i++; // opening quote
    let out = '';
    while (i < s.length) {
      const c = s[i] as string;
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\') {
        if (i + 1 >= s.length) return undefined;
        out += s[i + 1];
        i += 2;
        continue;
      }
      out += c;
      i++;
    }
    return undefined;
  };
  /** At position `i`, does `token BWS "="` follow (an auth-param rather than a new challenge)? */
  const paramAhead = (): boolean => {
    let j = i;
    while (j < s.length && TCHAR.test(s[j] as string)) j++;
    if (j === i) return false;
    while (j < s.length && (s[j] === ' ' || s[j] === '\t')) j++;
    return s[j] === '=';
  };
  /** At position `i`, is there a token68 followed by end or comma? Returns its end index. */
  const token68Ahead = (): number | undefined => {
    let j = i;
    while (j < s.length && TOKEN68_CHAR.test(s[j] as string)) j++;
    if (j === i) return undefined;
    while (j < s.length && s[j] === '=') j++;
    let k = j;
    while (k < s.length && (s[k] === ' ' || s[k] === '\t')) k++;
    return k >= s.length || s[k] === ',' ? j : undefined;
  };

  skipWsAndCommas();
  while (i < s.length && challenges.length < MAX_CHALLENGES) {
    const scheme = readToken();
    if (scheme === '') break;
    const challenge: WwwAuthenticateChallenge = { scheme: scheme.toLowerCase(), params: Object.create(null) };
    if (i < s.length && s[i] !== ' ' && s[i] !== '\t' && s[i] !== ',') break; // junk glued to the scheme
    skipWs();
    const t68End = token68Ahead();
    if (t68End !== undefined && !paramAhead()) {
      challenge.token68 = s.slice(i, t68End);
      i = t68End;
      challenges.push(challenge);
      skipWsAndCommas();
      continue;
    }
    let count = 0;
    let broken = false;
    while (i < s.length && paramAhead()) {
      const name = readToken().toLowerCase();
      skipWs();
      i++; // '='
      skipWs();
      let value: string | undefined;
      if (s[i] === '"') value = readQuoted();
      else {
        const v = readToken();
        value = v === '' ? undefined : v;
      }
      if (value === undefined) {
        broken = true;
        break;
      }
      if (count++ < MAX_PARAMS && !(name in challenge.params)) challenge.params[name] = value;
      skipWs();
      if (i < s.length && s[i] !== ',') {
        broken = true;
        break;
      }
      skipWsAndCommas();
    }
    if (broken) break;
    challenges.push(challenge);
    skipWsAndCommas();
  }
  return challenges;
}

/** The first challenge with `scheme` (case-insensitive), if any. */
export function findChallenge(
  challenges: readonly WwwAuthenticateChallenge[],
  scheme: string,
): WwwAuthenticateChallenge | undefined {
  const wanted = scheme.toLowerCase();
  return challenges.find((c) => c.scheme === wanted);
}
