import { displayExcerpt, type UpstreamTool } from './tools.js';

/** Where a piece of tool text was found, e.g. `description` or `inputSchema.properties.path.description`. */
export interface TextSample {
  where: string;
  /** True for prose fields (`description`, `title`, ...), false for property names and enum values. */
  prose: boolean;
  text: string;
}

/**
 * One heuristic for text aimed at the model rather than at a person reading a tool catalog
 * ("tool poisoning"). Rules are data: add one here, and it applies everywhere.
 */
export interface InstructionRule {
  /** Stable identifier; the first token of every flag. */
  id: string;
  /** Short reason shown to the person reviewing the tool. */
  reason: string;
  /** Whether the rule looks at `raw` text (hidden characters) or normalized text. */
  input: 'raw' | 'normalized';
  /** Only prose fields (descriptions, titles), or every string including property names. */
  scope: 'prose' | 'all';
  /** Returns true when the sample trips the rule. */
  test(text: string, context: { otherToolNames: readonly string[] }): boolean;
}

function pattern(
  id: string,
  reason: string,
  regex: RegExp,
  options: { input?: 'raw' | 'normalized'; scope?: 'prose' | 'all' } = {},
): InstructionRule {
  return {
    id,
    reason,
    input: options.input ?? 'normalized',
    scope: options.scope ?? 'all',
    test: (text) => regex.test(text),
  };
}

/** Descriptions longer than this are flagged: long prose is where injected instructions hide. */
export const LONG_DESCRIPTION_CHARS = 2000;

const IMPERATIVE_VERBS = '(?:call|invoke|use|run|execute|trigger|send|pass|forward|first|always|instead)';

/**
 * Code points that render as nothing or reorder text: soft hyphen, combining grapheme joiner, Hangul
 * fillers, Mongolian selectors, zero-width and bidi controls (Unicode TR9), invisible operators, BOM,
 * and the tag block U+E0000-U+E007F (used for "ASCII smuggling").
 */
const HIDDEN_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xe0000, 0xe007f],
];
/** C0 controls other than tab/LF/CR, DEL, and C1 controls. */
const CONTROL_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x00, 0x08],
  [0x0b, 0x0c],
  [0x0e, 0x1f],
  [0x7f, 0x9f],
];

function inRanges(codePoint: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  return ranges.some(([low, high]) => codePoint >= low && codePoint <= high);
}

function hasCodePointIn(text: string, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  for (const char of text) {
    if (inRanges(char.codePointAt(0) ?? 0, ranges)) return true;
  }
  return false;
}

/** The built-in rules, in report order. */
export const INSTRUCTION_RULES: readonly InstructionRule[] = [
  pattern(
    'ignore-instructions',
    'asks the model to ignore or override its instructions',
    /\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,40}\b(?:instructions?|prompts?|rules|guidelines|directives|guardrails|policies)\b/i,
  ),
  pattern(
    'you-must',
    'gives the model orders ("you must", "you are required to")',
    /\byou\s+(?:must|shall|are\s+(?:required|obligated)\s+to|have\s+to|need\s+to\s+always|should\s+always|will\s+always)\b/i,
    { scope: 'prose' },
  ),
  pattern(
    'conceal-from-user',
    'asks to hide something from the user',
    /\b(?:do\s+not|don't|dont|never|without)\s+(?:\w+\s+){0,3}?(?:tell(?:ing)?|inform(?:ing)?|mention(?:ing)?|reveal(?:ing)?|show(?:ing)?|notify(?:ing)?|alert(?:ing)?|let(?:ting)?)\b[^.!?\n]{0,30}\b(?:the\s+)?(?:user|human|person|operator|anyone)\b/i,
  ),
  pattern(
    'pseudo-markup',
    'contains tags like <important> or <system> that mimic prompt structure',
    /<\s*\/?\s*(?:important|system|instructions?|secret|admin|prompt|hidden|critical|assistant|user|context|sudo)\b[^>]{0,100}>/i,
  ),
  pattern(
    'chat-template-markers',
    'contains chat-template or role markers',
    /<\|[a-z_]{2,20}\|>|\[\/?INST\]|^\s*#{1,6}\s*(?:system|instructions?)\b|^\s*(?:system|assistant)\s*:/im,
  ),
  pattern(
    'system-prompt',
    'talks about the system prompt or developer message',
    /\b(?:system|developer)\s+(?:prompt|message|instructions?)\b/i,
  ),
  pattern(
    'sensitive-path',
    'mentions credential files or directories (~/.ssh, .env, cloud credentials)',
    /(?:~|\$HOME|\/home\/[^/\s]+|\/root)\/\.(?:ssh|aws|gnupg|kube|docker|config\/gcloud|netrc|git-credentials|npmrc|pypirc)\b|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\.aws\/credentials|\/etc\/(?:passwd|shadow)\b|(?:^|[\s"'`(/])\.env\b|\bauthorized_keys\b|\bknown_hosts\b/i,
  ),
  pattern(
    'precondition-instruction',
    'tells the model what to do before or instead of using a tool',
    /\b(?:before|prior\s+to|after)\s+(?:using|calling|invoking|running|executing)\s+(?:this|the|any|other)\b[^.!?\n]{0,30}\btools?\b|\binstead\s+of\s+(?:using|calling|invoking)\b/i,
    { scope: 'prose' },
  ),
  pattern(
    'exfiltration',
    'asks to pass along secrets or conversation data',
    /\b(?:send|include|pass|forward|upload|post|copy|append|attach|leak|exfiltrate|share)\b[^.!?\n]{0,40}\b(?:api[\s_-]?keys?|passwords?|passphrases?|secrets?|credentials?|private\s+keys?|ssh\s+keys?|access\s+tokens?|bearer\s+tokens?|session\s+cookies?|conversation|chat\s+history|previous\s+messages|system\s+prompt)\b/i,
  ),
  pattern(
    'skip-confirmation',
    'asks to act without confirmation or approval',
    /\b(?:without|no\s+need\s+(?:for|to)|do\s+not|don't|never)\s+(?:\w+\s+){0,2}?(?:confirm(?:ation|ing)?|approv(?:al|e|ing)|ask(?:ing)?\s+(?:for\s+)?(?:permission|the\s+user))\b/i,
  ),
  {
    id: 'hidden-unicode',
    reason: 'contains invisible characters (zero-width, bidi controls or Unicode tag characters)',
    input: 'raw',
    scope: 'all',
    test: (text) => hasCodePointIn(text, HIDDEN_RANGES),
  },
  {
    id: 'control-characters',
    reason: 'contains control characters',
    input: 'raw',
    scope: 'all',
    test: (text) => hasCodePointIn(text, CONTROL_RANGES),
  },
  {
    id: 'long-description',
    reason: `is longer than ${LONG_DESCRIPTION_CHARS} characters`,
    input: 'raw',
    scope: 'prose',
    test: (text) => text.length > LONG_DESCRIPTION_CHARS,
  },
  {
    id: 'other-tool-reference',
    reason: 'tells the model to use another tool',
    input: 'normalized',
    scope: 'prose',
    test: (text, { otherToolNames }) => {
      // Generic form: "call the send_email tool", "use `x` tool first".
      const generic = new RegExp(
        String.raw`\b${IMPERATIVE_VERBS}\b[^.!?\n]{0,20}?(?:the\s+)?[\x60'"]?[A-Za-z0-9_.-]+[\x60'"]?\s+tool\b`,
        'i',
      );
      if (generic.test(text)) return true;
      const lower = text.toLowerCase();
      const verbs = new RegExp(String.raw`\b${IMPERATIVE_VERBS}\b`, 'i');
      return (
        otherToolNames.some((name) => name.length >= 3 && containsWord(lower, name.toLowerCase())) &&
        verbs.test(text)
      );
    },
  },
];

function containsWord(haystack: string, word: string): boolean {
  let from = 0;
  while (true) {
    const at = haystack.indexOf(word, from);
    if (at === -1) return false;
    const before = haystack[at - 1];
    const after = haystack[at + word.length];
    if (
      (before === undefined || !/[a-z0-9_]/.test(before)) &&
      (after === undefined || !/[a-z0-9_]/.test(after))
    ) {
      return true;
    }
    from = at + 1;
  }
}

/** Regex rules only see this much of one string; longer text is flagged by `long-description`. */
const MAX_SCAN_CHARS = 20_000;
/** Limits for walking hostile schemas. */
const MAX_SAMPLES = 5_000;
const MAX_WALK_DEPTH = 64;
const PROSE_KEYS = new Set(['description', 'title', '$comment', 'markdownDescription']);
const VALUE_KEYS = new Set(['default', 'examples', 'enum', 'const']);

const FORMAT_CHAR = /\p{Cf}/u;

/** Removes invisible characters and folds compatibility forms, so "ig\u200Bnore" reads as "ignore". */
function normalize(text: string): string {
  let visible = '';
  for (const char of text.slice(0, MAX_SCAN_CHARS)) {
    if (!inRanges(char.codePointAt(0) ?? 0, HIDDEN_RANGES) && !FORMAT_CHAR.test(char)) visible += char;
  }
  return visible.normalize('NFKC').replace(/\s+/g, ' ');
}

function splitIdentifier(text: string): string {
  return text.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_.-]+/g, ' ');
}

function pushStrings(value: unknown, where: string, prose: boolean, out: TextSample[]): void {
  if (typeof value === 'string') out.push({ where, prose, text: value });
  else if (Array.isArray(value)) {
    value.forEach((item, index) => {
      if (typeof item === 'string') out.push({ where: `${where}[${index}]`, prose, text: item });
    });
  }
}

/** Every string of a tool that could reach a model: prose fields, schema descriptions, property names. */
export function collectToolText(tool: UpstreamTool): TextSample[] {
  const out: TextSample[] = [];
  pushStrings(tool.title, 'title', true, out);
  pushStrings(tool.description, 'description', true, out);
  if (tool.annotations) pushStrings(tool.annotations.title, 'annotations.title', true, out);
  const stack: Array<{ node: unknown; where: string; depth: number }> = [
    { node: tool.inputSchema, where: 'inputSchema', depth: 0 },
    { node: tool.outputSchema, where: 'outputSchema', depth: 0 },
  ];
  while (stack.length > 0 && out.length < MAX_SAMPLES) {
    const { node, where, depth } = stack.pop() as { node: unknown; where: string; depth: number };
    if (node === null || typeof node !== 'object' || depth > MAX_WALK_DEPTH) continue;
    if (Array.isArray(node)) {
      node.forEach((child, index) => {
        stack.push({ node: child, where: `${where}[${index}]`, depth: depth + 1 });
      });
      continue;
    }
    for (const [key, child] of Object.entries(node)) {
      // Keys are hostile text too: keep them printable and short in the reported location.
      const path = `${where}.${displayExcerpt(key, 40)}`;
      if (PROSE_KEYS.has(key)) pushStrings(child, path, true, out);
      else if (VALUE_KEYS.has(key)) pushStrings(child, path, false, out);
      if ((key === 'properties' || key === 'patternProperties') && child && typeof child === 'object') {
        for (const propertyName of Object.keys(child)) {
          out.push({
            where: `${path}.${displayExcerpt(propertyName, 40)} (name)`,
            prose: false,
            text: propertyName,
          });
        }
      }
      if (child !== null && typeof child === 'object')
        stack.push({ node: child, where: path, depth: depth + 1 });
    }
  }
  return out.slice(0, MAX_SAMPLES);
}

/**
 * Flags text in a tool definition that looks aimed at the model instead of describing the tool:
 * "ignore previous instructions", "you must", "do not tell the user", `<important>`, "system prompt",
 * credential paths like ~/.ssh, hidden Unicode (zero-width, bidi, tag characters), very long
 * descriptions, orders to use other tools, and so on (see {@link INSTRUCTION_RULES}).
 *
 * Each flag is `"<rule id>: <reason> (in <field>)"`; the rule id is stable. An empty array means no
 * rule matched, not that the tool is safe: this is a review aid for a person, not a filter.
 *
 * @param options.otherToolNames names of other tools in the catalog; a description that names one of
 * them next to an imperative verb is flagged.
 */
export function detectInstructionLikeText(
  tool: UpstreamTool,
  options: { otherToolNames?: readonly string[]; rules?: readonly InstructionRule[] } = {},
): string[] {
  const otherToolNames = (options.otherToolNames ?? []).filter((name) => name !== tool.name);
  const rules = options.rules ?? INSTRUCTION_RULES;
  const flags: string[] = [];
  const seen = new Set<string>();
  for (const sample of collectToolText(tool)) {
    // Identifiers such as property names read as words: ignore_previous_instructions, ignorePrevious.
    const normalized = sample.prose ? normalize(sample.text) : splitIdentifier(normalize(sample.text));
    for (const rule of rules) {
      if (rule.scope === 'prose' && !sample.prose) continue;
      const input = rule.input === 'raw' ? sample.text.slice(0, MAX_SCAN_CHARS + 1) : normalized;
      if (!rule.test(input, { otherToolNames })) continue;
      const flag = `${rule.id}: ${rule.reason} (in ${sample.where})`;
      if (!seen.has(flag)) {
        seen.add(flag);
        flags.push(flag);
      }
    }
  }
  return flags;
}
