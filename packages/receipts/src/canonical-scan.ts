/**
 * A one-pass recognizer for RFC 8785 canonical JSON, used by verification to avoid
 * `canonicalJson(JSON.parse(body)) === body` on every row (that costs ~8 µs; this costs well under 1).
 *
 * It is deliberately one-sided: `true` means "the text is certainly canonical", `false` only means
 * "not proven". Anything unusual (escaped keys, surrogates in escapes, over-deep nesting, any
 * deviation from the canonical grammar) returns false, and the caller then runs the reference check.
 * Accepting proves canonical form because every accepted construct is exactly what the RFC 8785
 * serializer emits for the value JSON.parse would produce:
 * - no whitespace outside strings (§3.2.1);
 * - literals `true`, `false`, `null`;
 * - numbers whose text equals ECMAScript Number::toString of their value (§3.2.2.3), i.e. of
 *   `Number(text)`, which is also what JSON.parse computes for a JSON number token;
 * - strings with raw characters except `"`, `\` and controls, escapes only `\"` `\\` `\b` `\f` `\n`
 *   `\r` `\t` and `\u00xx` (lowercase hex) for the other controls below U+0020 (§3.2.2.2), and
 *   surrogates only as well-formed pairs;
 * - object members whose (escape-free) keys strictly increase in UTF-16 code-unit order (§3.2.3),
 *   which also rules out duplicate keys (JSON.parse would keep only the last).
 */

const FAIL = -1;
/** Deeper documents are left to the reference check; receipts are shallow. */
const MAX_SCAN_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LEFT_BRACE = 0x7b;
const RIGHT_BRACE = 0x7d;
const LEFT_BRACKET = 0x5b;
const RIGHT_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;
const DIGIT_9 = 0x39;
/** Integers with at most this many digits are exact doubles printed digit for digit. */
const MAX_PLAIN_INTEGER_DIGITS = 15;

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL_CHARACTER = /[\u0000-\u001f]/;

/** String.prototype.isWellFormed (ES2024, native in Node 20; the repo's lib setting is ES2023). */
function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Where the top-level members that verification compares begin and end (value token, end
 * exclusive), or -1 when absent. Reused across rows to avoid an allocation per receipt.
 */
export class TopLevelSpans {
  vStart = -1;
  vEnd = -1;
  seqStart = -1;
  seqEnd = -1;
  tsStart = -1;
  tsEnd = -1;
  kindStart = -1;
  kindEnd = -1;
  prevHashStart = -1;
  prevHashEnd = -1;
  hasHash = false;
  /**
   * True when the text has no backslash and no control character, so no string token contains an
   * escape: a string token's value is then exactly the text between its quotes.
   */
  escapeFree = false;

  reset(): void {
    this.vStart = this.vEnd = this.seqStart = this.seqEnd = this.tsStart = this.tsEnd = -1;
    this.kindStart = this.kindEnd = this.prevHashStart = this.prevHashEnd = -1;
    this.hasHash = false;
  }

  record(text: string, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number): void {
    switch (keyEnd - keyStart) {
      case 1:
        if (text.startsWith('v', keyStart)) {
          this.vStart = valueStart;
          this.vEnd = valueEnd;
        }
        return;
      case 2:
        if (text.startsWith('ts', keyStart)) {
          this.tsStart = valueStart;
          this.tsEnd = valueEnd;
        }
        return;
      case 3:
        if (text.startsWith('seq', keyStart)) {
          this.seqStart = valueStart;
          this.seqEnd = valueEnd;
        }
        return;
      case 4:
        if (text.startsWith('kind', keyStart)) {
          this.kindStart = valueStart;
          this.kindEnd = valueEnd;
        } else if (text.startsWith('hash', keyStart)) {
          this.hasHash = true;
        }
        return;
      case 8:
        if (text.startsWith('prevHash', keyStart)) {
          this.prevHashStart = valueStart;
          this.prevHashEnd = valueEnd;
        }
        return;
    }
  }
}

/**
 * True only when `text` is certainly the RFC 8785 canonical form of a JSON object; fills `spans`
 * with the positions of its top-level `v`, `seq`, `ts`, `kind`, `prevHash` values and notes `hash`.
 */
export function scanCanonicalObject(text: string, spans: TopLevelSpans): boolean {
  spans.reset();
  if (text.charCodeAt(0) !== LEFT_BRACE) return false;
  // Most receipts have no escapes, no controls and no lone surrogates; three native whole-text
  // checks then let string tokens end at the next quote (indexOf) instead of a per-character loop.
  const escapeFree = text.indexOf('\\') === -1 && !CONTROL_CHARACTER.test(text);
  spans.escapeFree = escapeFree;
  const plainStrings = escapeFree && isWellFormed(text);
  return scanObject(text, 0, 1, spans, plainStrings) === text.length;
}

/** True when `text[start, end)` is exactly `expected`. */
export function tokenEquals(text: string, start: number, end: number, expected: string): boolean {
  return start !== FAIL && end - start === expected.length && text.startsWith(expected, start);
}

/**
 * True when `text[start, end)` is the canonical string token for `value`. In escape-free text a
 * string token is a quote, the raw value, a quote; otherwise compare with the canonical spelling.
 */
export function stringTokenEquals(
  text: string,
  start: number,
  end: number,
  value: string,
  escapeFree: boolean,
): boolean {
  if (!escapeFree) return tokenEquals(text, start, end, JSON.stringify(value));
  return (
    start !== FAIL &&
    end - start === value.length + 2 &&
    text.charCodeAt(start) === QUOTE &&
    text.startsWith(value, start + 1)
  );
}

function scanValue(text: string, start: number, depth: number, plainStrings: boolean): number {
  const c = text.charCodeAt(start);
  switch (c) {
    case QUOTE:
      if (!plainStrings) return scanString(text, start);
      return endAfter(skipPlainString(text, start + 1));
    case LEFT_BRACE:
      return scanObject(text, start, depth + 1, null, plainStrings);
    case LEFT_BRACKET:
      return scanArray(text, start, depth + 1, plainStrings);
    case 0x74: // t
      return text.startsWith('true', start) ? start + 4 : FAIL;
    case 0x66: // f
      return text.startsWith('false', start) ? start + 5 : FAIL;
    case 0x6e: // n
      return text.startsWith('null', start) ? start + 4 : FAIL;
    default:
      return c === MINUS || isDigit(c) ? scanNumber(text, start) : FAIL;
  }
}

function scanObject(
  text: string,
  start: number,
  depth: number,
  spans: TopLevelSpans | null,
  plainStrings: boolean,
): number {
  if (depth > MAX_SCAN_DEPTH) return FAIL;
  let i = start + 1;
  if (text.charCodeAt(i) === RIGHT_BRACE) return i + 1;
  let previousKeyStart = FAIL;
  let previousKeyEnd = FAIL;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return FAIL;
    const keyStart = i + 1;
    const keyEnd = plainStrings ? skipPlainString(text, keyStart) : scanPlainKey(text, keyStart);
    if (keyEnd === FAIL) return FAIL;
    if (
      previousKeyStart !== FAIL &&
      compareCodeUnits(text, previousKeyStart, previousKeyEnd, keyStart, keyEnd) >= 0
    ) {
      return FAIL;
    }
    if (text.charCodeAt(keyEnd + 1) !== COLON) return FAIL;
    const valueStart = keyEnd + 2;
    const valueEnd = scanValue(text, valueStart, depth, plainStrings);
    if (valueEnd === FAIL) return FAIL;
    if (spans !== null) spans.record(text, keyStart, keyEnd, valueStart, valueEnd);
    const next = text.charCodeAt(valueEnd);
    if (next === RIGHT_BRACE) return valueEnd + 1;
    if (next !== COMMA) return FAIL;
    previousKeyStart = keyStart;
    previousKeyEnd = keyEnd;
    i = valueEnd + 1;
  }
}

function scanArray(text: string, start: number, depth: number, plainStrings: boolean): number {
  if (depth > MAX_SCAN_DEPTH) return FAIL;
  let i = start + 1;
  if (text.charCodeAt(i) === RIGHT_BRACKET) return i + 1;
  for (;;) {
    i = scanValue(text, i, depth, plainStrings);
    if (i === FAIL) return FAIL;
    const next = text.charCodeAt(i);
    if (next === RIGHT_BRACKET) return i + 1;
    if (next !== COMMA) return FAIL;
    i++;
  }
}

/**
 * In text known to hold no backslash, no control character and no lone surrogate, a string's
 * content runs to the next quote. Returns the index of that quote, or FAIL (indexOf's -1).
 */
function skipPlainString(text: string, contentStart: number): number {
  return text.indexOf('"', contentStart);
}

/** A key without escapes, so its raw text is its value; returns the index of the closing quote. */
function scanPlainKey(text: string, start: number): number {
  let i = start;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i;
    // `!(c >= 0x20)` also catches NaN, i.e. the end of the text.
    if (c === BACKSLASH || !(c >= 0x20)) return FAIL;
    if (c >= 0xd800 && c <= 0xdfff) {
      if (!isSurrogatePair(text, i)) return FAIL;
      i += 2;
    } else {
      i++;
    }
  }
}

/** A string token starting at the opening quote; returns the index after the closing quote. */
function scanString(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      const escaped = text.charCodeAt(i + 1);
      if (isShortEscape(escaped)) {
        i += 2;
        continue;
      }
      if (escaped === 0x75 /* u */ && isCanonicalControlEscape(text, i)) {
        i += 6;
        continue;
      }
      return FAIL;
    }
    if (!(c >= 0x20)) return FAIL;
    if (c >= 0xd800 && c <= 0xdfff) {
      if (!isSurrogatePair(text, i)) return FAIL;
      i += 2;
    } else {
      i++;
    }
  }
}

/** `"` `\` b f n r t: the escapes JSON.stringify (and so RFC 8785 §3.2.2.2) emits in short form. */
function isShortEscape(c: number): boolean {
  return c === QUOTE || c === BACKSLASH || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74;
}

/** `\u00xx` with lowercase hex for a control character that has no short escape. */
function isCanonicalControlEscape(text: string, backslashAt: number): boolean {
  if (text.charCodeAt(backslashAt + 2) !== DIGIT_0 || text.charCodeAt(backslashAt + 3) !== DIGIT_0) {
    return false;
  }
  const high = text.charCodeAt(backslashAt + 4);
  const low = lowercaseHexValue(text.charCodeAt(backslashAt + 5));
  if ((high !== DIGIT_0 && high !== DIGIT_1) || low === FAIL) return false;
  const code = (high - DIGIT_0) * 16 + low;
  // \b \t \n \f \r have short forms, so their \u spelling is not canonical.
  return code !== 0x08 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d;
}

function lowercaseHexValue(c: number): number {
  if (isDigit(c)) return c - DIGIT_0;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return FAIL;
}

function isSurrogatePair(text: string, at: number): boolean {
  const high = text.charCodeAt(at);
  const low = text.charCodeAt(at + 1);
  return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}

/** RFC 8259 §6 number grammar, then the RFC 8785 §3.2.2.3 spelling check. */
function scanNumber(text: string, start: number): number {
  let i = start;
  if (text.charCodeAt(i) === MINUS) i++;
  const integerStart = i;
  const first = text.charCodeAt(i);
  if (first === DIGIT_0) {
    i++;
  } else if (first >= DIGIT_1 && first <= DIGIT_9) {
    i++;
    while (isDigit(text.charCodeAt(i))) i++;
  } else {
    return FAIL;
  }
  const integerDigits = i - integerStart;
  let plainInteger = true;
  let c = text.charCodeAt(i);
  if (c === DOT) {
    plainInteger = false;
    i++;
    if (!isDigit(text.charCodeAt(i))) return FAIL;
    while (isDigit(text.charCodeAt(i))) i++;
    c = text.charCodeAt(i);
  }
  if (c === 0x65 || c === 0x45 /* e E */) {
    plainInteger = false;
    i++;
    c = text.charCodeAt(i);
    if (c === PLUS || c === MINUS) i++;
    if (!isDigit(text.charCodeAt(i))) return FAIL;
    while (isDigit(text.charCodeAt(i))) i++;
  }
  // Fast path: a short integer is an exact double that Number::toString prints digit for digit.
  // "-0" is excluded: its canonical form is "0".
  const negativeZero = first === DIGIT_0 && integerStart !== start;
  if (plainInteger && integerDigits <= MAX_PLAIN_INTEGER_DIGITS && !negativeZero) return i;
  const token = text.slice(start, i);
  return String(Number(token)) === token ? i : FAIL;
}

function endAfter(closingQuote: number): number {
  return closingQuote === FAIL ? FAIL : closingQuote + 1;
}

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

/** Compares two ranges of `text` by UTF-16 code units, like RFC 8785 §3.2.3 sorting. */
function compareCodeUnits(text: string, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const shared = Math.min(aLength, bLength);
  for (let k = 0; k < shared; k++) {
    const difference = text.charCodeAt(aStart + k) - text.charCodeAt(bStart + k);
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}
