import { BriefcaseError, jsonDepth, MAX_JSON_DEPTH } from '@briefcase/core';

/**
 * Patterns of well-known credential formats, scrubbed from every string a tool returns.
 * Data, not code: add a pattern here and every result is covered.
 */
export const SECRET_PATTERNS: ReadonlyArray<{ id: string; pattern: RegExp }> = [
  {
    id: 'private_key',
    pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
  },
  { id: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g },
  { id: 'authorization', pattern: /\b(?:Bearer|DPoP|Basic|L402|X402)\s+[A-Za-z0-9._~+/:=-]{12,}/gi },
  { id: 'aws_access_key', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { id: 'github_token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b/g },
  { id: 'slack_token', pattern: /\bxox[abprse]-[A-Za-z0-9-]{10,}/g },
  { id: 'api_key', pattern: /\b(?:sk|rk|pk)[-_](?:live[-_]|test[-_]|proj[-_]|ant[-_])?[A-Za-z0-9_-]{20,}/g },
  { id: 'google_api_key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
];

/** Object keys whose string values are treated as secrets whatever they look like. */
const SECRET_KEY =
  /^(?:.*[-_])?(?:pass(?:word|phrase)?|secret|token|api[-_]?key|private[-_]?key|authorization|cookie|preimage|refresh[-_]?token|access[-_]?token|client[-_]?secret)$/i;

export interface RedactedResult {
  value: unknown;
  /** How many values were scrubbed or dropped: recorded in the receipt, shown in provenance. */
  redactions: number;
  /** Size of the JSON that leaves the daemon. */
  bytes: number;
}

/** Known secret values shorter than this are not scrubbed: they would match ordinary text. */
export const MIN_KNOWN_SECRET_LENGTH = 8;

/**
 * Scrubs credential-shaped substrings, and every occurrence of a known secret value (for example a
 * value given to a stdio MCP server with `--env`, which its tools could echo back).
 */
export function scrubString(
  text: string,
  knownSecrets: readonly string[] = [],
): { text: string; hits: number } {
  let hits = 0;
  let out = text;
  for (const secret of knownSecrets) {
    if (secret.length < MIN_KNOWN_SECRET_LENGTH || !out.includes(secret)) continue;
    const parts = out.split(secret);
    hits += parts.length - 1;
    out = parts.join('[REDACTED:secret]');
  }
  for (const { id, pattern } of SECRET_PATTERNS) {
    out = out.replace(pattern, () => {
      hits++;
      return `[REDACTED:${id}]`;
    });
  }
  return { text: out, hits };
}

function scrub(value: unknown, counter: { n: number }, known: readonly string[]): unknown {
  if (typeof value === 'string') {
    const { text, hits } = scrubString(value, known);
    counter.n += hits;
    return text;
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, counter, known));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string' && SECRET_KEY.test(key)) {
        counter.n++;
        out[key] = '[REDACTED]';
      } else {
        out[key] = scrub(v, counter, known);
      }
    }
    return out;
  }
  return value;
}

/**
 * The redact stage: output field allowlist (top-level fields of an object result), secret-pattern
 * scrubbing of every string, then a size cap. A result that cannot be made safe fails the call.
 */
export function redactResult(
  toolName: string,
  result: unknown,
  allowlist: readonly string[],
  maxBytes: number,
  knownSecrets: readonly string[] = [],
): RedactedResult {
  if (result === undefined) result = null;
  if (jsonDepth(result) > MAX_JSON_DEPTH) {
    throw new BriefcaseError('upstream_error', `${toolName} returned a result nested too deeply to pass on.`);
  }
  const counter = { n: 0 };
  let shaped = result;
  if (!allowlist.includes('*') && result !== null && typeof result === 'object' && !Array.isArray(result)) {
    const kept: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(result)) {
      if (allowlist.includes(key)) kept[key] = v;
      else counter.n++;
    }
    shaped = kept;
  }
  const value = scrub(shaped, counter, knownSecrets);
  const json = JSON.stringify(value) ?? 'null';
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) {
    throw new BriefcaseError(
      'upstream_error',
      `${toolName} returned ${bytes} bytes, more than the ${maxBytes}-byte result cap; ask for less data.`,
    );
  }
  return { value, redactions: counter.n, bytes };
}
