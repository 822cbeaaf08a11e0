/**
 * Compiles a schema of the contract into a validator, on @cfworker/json-schema: a maintained JSON
 * Schema (2020-12) validator with no code generation, so a CLI process pays a few milliseconds to
 * import it, not the ~0.2 s of Ajv's import and compile. Before handing a schema over, it refuses any
 * validation keyword outside the contract's vocabulary: a keyword a validator silently ignored would
 * make the contract looser than it reads.
 */
import { type OutputUnit, type Schema, Validator } from '@cfworker/json-schema';
import type { TSchema } from './type.js';

/** Receives where a value first fails its schema, and why. */
type Report = (path: string, message: string) => void;
/** A compiled check: true when `value` is valid; on a failure, tells `report` where and why. */
export type CompiledCheck = (value: unknown, path: string, report: Report) => boolean;

/** The keywords the contract may use. Annotations never make a value invalid. */
const KNOWN_KEYWORDS = new Set([
  ...['$id', '$ref', 'description', 'title', 'examples', 'default', 'deprecated'],
  ...['type', 'enum', 'const', 'format', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum'],
  ...['items', 'minItems', 'maxItems', 'required', 'properties', 'additionalProperties'],
  ...['maxProperties', 'anyOf', 'oneOf'],
]);
/** Keywords whose value is a schema, or a list or map of schemas, to be checked in turn. */
const SUBSCHEMAS = new Set(['items', 'additionalProperties', 'anyOf', 'oneOf', 'properties']);

/** Throws on any keyword outside {@link KNOWN_KEYWORDS}, anywhere in `schema`. */
function assertKnownKeywords(schema: unknown): void {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return;
  for (const [keyword, argument] of Object.entries(schema)) {
    if (!KNOWN_KEYWORDS.has(keyword)) {
      throw new Error(`the contract's validator does not know the keyword ${keyword}`);
    }
    if (!SUBSCHEMAS.has(keyword) || argument === null || typeof argument !== 'object') continue;
    const children =
      keyword === 'properties' || !Array.isArray(argument) ? Object.values(argument) : argument;
    for (const child of keyword === 'items' || keyword === 'additionalProperties' ? [argument] : children) {
      assertKnownKeywords(child);
    }
  }
}

/** The innermost error: the one that says which member failed, not that its parent did. */
function innermost(errors: readonly OutputUnit[]): OutputUnit | undefined {
  return errors.reduce<OutputUnit | undefined>(
    (deepest, unit) =>
      deepest === undefined || unit.instanceLocation.length >= deepest.instanceLocation.length
        ? unit
        : deepest,
    undefined,
  );
}

/** Compiles `schema`, resolving `{$ref: '<id>#'}` among `shared` (by `$id`). */
export function compileSchema(schema: TSchema, shared: ReadonlyMap<string, TSchema>): CompiledCheck {
  assertKnownKeywords(schema);
  for (const target of shared.values()) assertKnownKeywords(target);
  const validator = new Validator(schema as Schema, '2020-12', true);
  for (const target of shared.values()) {
    try {
      validator.addSchema(target as Schema);
    } catch (error) {
      // The schema being compiled is itself a shared one (or holds it): it is already known.
      if (!(error instanceof Error && error.message.startsWith('Duplicate schema URI'))) throw error;
    }
  }
  return (value, path, report) => {
    let result: ReturnType<Validator['validate']>;
    try {
      result = validator.validate(value);
    } catch {
      // Not a JSON value at all (undefined, a function, a bigint): the validator refuses to look.
      report(path, 'is not a JSON value');
      return false;
    }
    if (result.valid) return true;
    const unit = innermost(result.errors);
    const where = unit?.instanceLocation.replace(/^#/, '') ?? '';
    // `additionalProperties: false` fails as the `false` schema; say what that means.
    const why = unit?.keyword === 'false' ? 'is not an allowed member here' : unit?.error;
    report(`${path}${where}`, why ?? 'does not match the schema');
    return false;
  };
}
