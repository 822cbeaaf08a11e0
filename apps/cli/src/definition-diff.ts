/**
 * What changed between a remote tool's pinned definition and its pending one, field by field, for
 * `briefcase mcp review`. Pure functions over plain JSON values: nothing here prints, and nothing
 * here makes the server's text safe for a terminal (the caller does, line by line).
 */
import { isRecord } from '@briefcase/core';
import { diffArrays } from 'diff';

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
/** Above this many edits a diff falls back to "all removed, all added". */
const MAX_EDIT_LENGTH = 2000;
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
  if (isRecord(value)) {
    const keys = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort();
    if (keys.length === 0) return '{}';
    const inner = `${indent}  `;
    const entries = keys.map(
      (key) => `${inner}${JSON.stringify(key)}: ${prettyCanonical(value[key], inner)}`,
    );
    return `{\n${entries.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

type Op = DiffLine;

/**
 * The edit script of `before` → `after`, from jsdiff's Myers diff (removals before additions within
 * a change, as unified diffs print them). Past {@link MAX_EDIT_LENGTH} edits it gives up and shows
 * everything as removed, then added: a hostile server must not make `review` spin.
 */
function editScript(before: string[], after: string[]): Op[] {
  const changes = diffArrays(before, after, { maxEditLength: MAX_EDIT_LENGTH });
  if (changes === undefined) {
    return [
      ...before.map((text): Op => ({ kind: '-', text })),
      ...after.map((text): Op => ({ kind: '+', text })),
    ];
  }
  return changes.flatMap((change) =>
    change.value.map((text): Op => ({ kind: change.removed ? '-' : change.added ? '+' : ' ', text })),
  );
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

const asRecord = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});

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
