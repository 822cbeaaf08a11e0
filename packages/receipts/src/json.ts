import { isPlainObject, MAX_JSON_DEPTH } from '@briefcase/core';

/** A value that JSON (and so RFC 8785 canonical JSON) can represent exactly. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

// A lone surrogate has no UTF-8 encoding, and RFC 8785 §3.2.2.2 (I-JSON, RFC 7493 §2.1) forbids it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Throws a TypeError unless `root` is pure JSON: null, booleans, finite numbers, well-formed strings,
 * dense arrays and plain objects, nested at most MAX_JSON_DEPTH deep (which also rejects cycles).
 * Checking up front matters because the canonicalizer would otherwise silently drop `undefined`
 * members or call `toJSON`, and the stored receipt would differ from what the caller passed.
 * `label` names the top-level field in the message; nested keys are never echoed.
 */
export function assertJsonValue(root: unknown, label: string): void {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    switch (typeof value) {
      case 'boolean':
        continue;
      case 'string':
        if (LONE_SURROGATE.test(value))
          throw new TypeError(`${label} contains a string with a lone surrogate`);
        continue;
      case 'number':
        if (!Number.isFinite(value)) throw new TypeError(`${label} contains a non-finite number`);
        continue;
      case 'object': {
        if (value === null) continue;
        if (depth > MAX_JSON_DEPTH) {
          throw new TypeError(`${label} is nested deeper than ${MAX_JSON_DEPTH} levels (or is circular)`);
        }
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) stack.push([value[i], depth + 1]);
          continue;
        }
        if (!isPlainObject(value)) {
          throw new TypeError(
            `${label} contains an object that is not plain JSON (Date, Map, class instance?)`,
          );
        }
        if (Object.getOwnPropertySymbols(value).length > 0) {
          throw new TypeError(`${label} contains symbol-keyed properties`);
        }
        for (const key of Object.keys(value)) {
          if (LONE_SURROGATE.test(key)) throw new TypeError(`${label} contains a key with a lone surrogate`);
          stack.push([value[key], depth + 1]);
        }
        continue;
      }
      default:
        throw new TypeError(`${label} contains a value of type ${typeof value}, which JSON cannot represent`);
    }
  }
}
