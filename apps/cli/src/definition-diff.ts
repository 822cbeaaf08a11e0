/**
 * What changed between a remote tool's pinned definition and its pending one, field by field, for
 * `briefcase mcp review`. Pure functions over plain JSON values: nothing here prints, and nothing
 * here makes the server's text safe for a terminal (the caller does, line by line).
 */

/** One line of a field's diff: `' '` unchanged context, `'-'` only in the pinned definition, `'+'` only in the pending one. */
export interface DiffLine {
  kind: ' ' | '-' | '+';
  text: string;
}

/** A run of unchanged lines left out of a diff, standing for `count` lines. */
export interface DiffGap {
  kind: 'gap';
  count: number;
}

/** How one field of a definition differs: present only after (`added`), only before (`removed`), or in both. */
export interface FieldChange {
  field: string;
  status: 'added' | 'removed' | 'changed';
  lines: Array<DiffLine | DiffGap>;
}

/** Fields in the order a reviewer reads them; any other field follows, sorted. */
const FIELD_ORDER = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'];
/** Fields shown as whole text before → after rather than as a JSON line diff. */
const TEXT_FIELDS = new Set(['name', 'title', 'description']);
/** Above this many LCS cells (before × after lines) a diff falls back to "all removed, all added". */
const MAX_LCS_CELLS = 1_000_000;
/** Unchanged lines kept around each change. */
const CONTEXT_LINES = 3;

/**
 * `value` as pretty JSON (two-space indent) with object keys sorted by UTF-16 code units, as in
 * RFC 8785 §3.2.3, so that two definitions differing only in key order print the same. Keys are sorted
 * here rather than through `JSON.parse(canonicalJson(...))`, which would move integer-like keys first.
 */
export function prettyCanonical(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = `${indent}  `;
    return `[\n${value.map((item) => `${inner}${prettyCanonical(item ?? null, inner)}`).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort();
    if (keys.length === 0) return '{}';
    const inner = `${indent}  `;
    const entries = keys.map(
      (key) =>
        `${inner}${JSON.stringify(key)}: ${prettyCanonical((value as Record<string, unknown>)[key], inner)}`,
    );
    return `{\n${entries.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

type Op = DiffLine;

/** Longest-common-subsequence edit script of the lines between a common prefix and suffix. */
function editScript(before: string[], after: string[]): Op[] {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start += 1;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore -= 1;
    endAfter -= 1;
  }
  const a = before.slice(start, endBefore);
  const b = after.slice(start, endAfter);
  const middle: Op[] = [];
  if ((a.length + 1) * (b.length + 1) > MAX_LCS_CELLS) {
    for (const text of a) middle.push({ kind: '-', text });
    for (const text of b) middle.push({ kind: '+', text });
  } else {
    // lcs[i * width + j] = length of the LCS of a[i..] and b[j..].
    const width = b.length + 1;
    const lcs = new Uint32Array((a.length + 1) * width);
    for (let i = a.length - 1; i >= 0; i -= 1) {
      for (let j = b.length - 1; j >= 0; j -= 1) {
        lcs[i * width + j] =
          a[i] === b[j]
            ? (lcs[(i + 1) * width + j + 1] ?? 0) + 1
            : Math.max(lcs[(i + 1) * width + j] ?? 0, lcs[i * width + j + 1] ?? 0);
      }
    }
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (i < a.length && j < b.length && a[i] === b[j]) {
        middle.push({ kind: ' ', text: a[i] as string });
        i += 1;
        j += 1;
      } else if (
        j >= b.length ||
        (i < a.length && (lcs[(i + 1) * width + j] ?? 0) >= (lcs[i * width + j + 1] ?? 0))
      ) {
        // Removals before additions within a change, as unified diffs print them.
        middle.push({ kind: '-', text: a[i] as string });
        i += 1;
      } else {
        middle.push({ kind: '+', text: b[j] as string });
        j += 1;
      }
    }
  }
  return [
    ...before.slice(0, start).map((text): Op => ({ kind: ' ', text })),
    ...middle,
    ...before.slice(endBefore).map((text): Op => ({ kind: ' ', text })),
  ];
}

/**
 * A unified-style line diff of `before` → `after`: every removed and added line, with up to `context`
 * unchanged lines around each change; longer unchanged runs become a {@link DiffGap}.
 */
export function lineDiff(
  before: string[],
  after: string[],
  context = CONTEXT_LINES,
): Array<DiffLine | DiffGap> {
  const ops = editScript(before, after);
  const out: Array<DiffLine | DiffGap> = [];
  let index = 0;
  while (index < ops.length) {
    if ((ops[index] as Op).kind !== ' ') {
      out.push(ops[index] as Op);
      index += 1;
      continue;
    }
    let end = index;
    while (end < ops.length && (ops[end] as Op).kind === ' ') end += 1;
    const keepHead = index === 0 ? 0 : context;
    const keepTail = end === ops.length ? 0 : context;
    if (end - index > keepHead + keepTail) {
      out.push(...ops.slice(index, index + keepHead));
      out.push({ kind: 'gap', count: end - index - keepHead - keepTail });
      out.push(...ops.slice(end - keepTail, end));
    } else {
      out.push(...ops.slice(index, end));
    }
    index = end;
  }
  return out;
}

/** The lines a field's value is shown as: text as its own lines, anything else as pretty canonical JSON. */
export function fieldLines(field: string, value: unknown): string[] {
  if (value === undefined) return [];
  const text = TEXT_FIELDS.has(field) && typeof value === 'string' ? value : prettyCanonical(value);
  return text.split(/\r?\n/);
}

function fieldsOf(definition: Record<string, unknown>): string[] {
  return Object.keys(definition).filter((key) => definition[key] !== undefined);
}

/** The fields of `definitions`, known ones first in reading order, then any others sorted. */
export function orderedFields(...definitions: Array<Record<string, unknown>>): string[] {
  const present = new Set(definitions.flatMap(fieldsOf));
  const known = FIELD_ORDER.filter((field) => present.has(field));
  const others = [...present].filter((field) => !FIELD_ORDER.includes(field)).sort();
  return [...known, ...others];
}

const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/**
 * Field-by-field differences between a pinned and a pending definition, compared in canonical form.
 * Text fields (name, title, description) show the whole before text as `-` lines and the whole after
 * text as `+` lines; schemas, annotations and any other field show a line diff of their pretty
 * canonical JSON. Unchanged fields are left out.
 */
export function diffDefinitions(pinned: unknown, pending: unknown): FieldChange[] {
  const before = asRecord(pinned);
  const after = asRecord(pending);
  const changes: FieldChange[] = [];
  for (const field of orderedFields(before, after)) {
    const old = fieldLines(field, before[field]);
    const now = fieldLines(field, after[field]);
    if (old.length === now.length && old.every((line, i) => line === now[i])) continue;
    const status = old.length === 0 ? 'added' : now.length === 0 ? 'removed' : 'changed';
    const lines =
      TEXT_FIELDS.has(field) && typeof (before[field] ?? after[field]) === 'string'
        ? [
            ...old.map((text): DiffLine => ({ kind: '-', text })),
            ...now.map((text): DiffLine => ({ kind: '+', text })),
          ]
        : lineDiff(old, now);
    changes.push({ field, status, lines });
  }
  return changes;
}
