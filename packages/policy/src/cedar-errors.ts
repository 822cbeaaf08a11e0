import type { DetailedError } from '@cedar-policy/cedar-wasm/nodejs';
import { excerpt, lineColumnAt, type SourceText } from './source-text.js';
import type { PolicyProblem } from './types.js';

/**
 * Turns a Cedar error into a problem a person can act on: Cedar's message, its label and hint, and
 * the line, column and text where it points. `baseByte` shifts locations that Cedar reports relative
 * to one policy (validation of a single part) back into the whole policy text.
 */
export function problemFromCedar(
  error: DetailedError,
  source: SourceText | undefined,
  options: { baseByte?: number; policyId?: string } = {},
): PolicyProblem {
  const parts = [error.message];
  const where = error.sourceLocations?.[0];
  let location: PolicyProblem['location'];
  if (where && source) {
    const base = options.baseByte ?? 0;
    location = lineColumnAt(source, base + where.start);
    const near = excerpt(source, base + where.start, base + where.end);
    parts.push(`at line ${location.line}, column ${location.column}${near ? ` (near \`${near}\`)` : ''}`);
    if (where.label) parts.push(where.label);
  }
  if (error.help) parts.push(`hint: ${error.help}`);
  for (const related of error.related ?? []) parts.push(`related: ${related.message}`);
  const problem: PolicyProblem = { message: parts.join('; ') };
  if (options.policyId !== undefined) problem.policyId = options.policyId;
  if (location) problem.location = location;
  return problem;
}

/** Cedar's messages joined on one line, for decision reasons (no source text is at hand there). */
export function cedarMessages(errors: readonly DetailedError[]): string {
  if (errors.length === 0) return 'no detail given';
  return errors.map((e) => e.message).join('; ');
}
