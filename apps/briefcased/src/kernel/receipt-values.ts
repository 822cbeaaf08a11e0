import { canonicalJson, sha256Hex } from '@briefcase/core';

/**
 * An approval id a call named that did not govern it (not a string, too long, unknown, or another
 * call's), as its receipt records it: `sha256:` and the hex SHA-256 of the value (of the string
 * itself, else of its canonical JSON). Hashed, never copied: the agent chose the value, so it may be
 * huge or hostile, while a hash has a fixed size and still lets an auditor check a suspected id
 * (hash it and compare). The field is `approvalIdGiven`; `approvalId` stays the id of an approval
 * that governed the call, or null.
 */
export function approvalIdDigest(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : canonicalJson(value);
  } catch {
    // No JSON form (cannot come from a parsed body, but the kernel takes any input): hash its type.
    text = `<${typeof value}>`;
  }
  return `sha256:${sha256Hex(text)}`;
}
