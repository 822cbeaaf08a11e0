import type { JsonSchema } from '@briefcase/core';
import { BriefcaseError, canonicalJson, jsonDepth, MAX_JSON_DEPTH, sha256Hex } from '@briefcase/core';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** At most this many schema violations are reported back; hostile input can produce thousands. */
const MAX_REPORTED_ERRORS = 20;

// One Ajv instance for every tool schema: strict mode (unknown keywords and formats are schema
// errors, caught when the tool is registered), draft 2020-12, no coercion, no defaults written
// into the caller's arguments.
const ajv = addFormats(
  new Ajv2020({
    strict: true,
    allErrors: true,
    coerceTypes: false,
    useDefaults: false,
    validateFormats: true,
  }),
);

// Remote MCP servers declare their own schemas, often draft-07 with keywords or formats we do not
// know. They get a lenient instance (unknown keywords and formats are ignored, never fatal), silent
// so that a hostile schema cannot flood the daemon's output; validation itself is just as strict.
const lenientAjv = addFormats(
  new Ajv2020({
    strict: false,
    allErrors: true,
    coerceTypes: false,
    useDefaults: false,
    validateFormats: true,
    logger: false,
  }),
);

/**
 * Compiles a tool's input schema once. Our own schemas compile under strict mode (a mistake is a
 * bug); a remote server's schema (`origin: 'remote'`) compiles leniently, without its `$schema` and
 * `$id` (they name drafts and ids that would collide between servers). Throws when it does not compile.
 */
export function compileArgsSchema(schema: JsonSchema, origin: 'own' | 'remote' = 'own'): ValidateFunction {
  if (origin === 'own') return ajv.compile(schema);
  const { $schema: _draft, $id: _id, ...rest } = schema;
  return lenientAjv.compile(rest);
}

/** One schema violation, located by an RFC 6901 JSON pointer into the arguments. */
export interface ArgsProblem {
  path: string;
  message: string;
}

/** Arguments that passed validation, with the identity an approval binds to. */
export interface ValidatedArgs {
  args: Record<string, unknown>;
  /** Size of the RFC 8785 canonical JSON of the arguments, in bytes. */
  argsBytes: number;
  /** SHA-256 hex of the RFC 8785 canonical JSON of the arguments. */
  argsHash: string;
}

function problems(errors: ErrorObject[] | null | undefined): ArgsProblem[] {
  return (errors ?? []).slice(0, MAX_REPORTED_ERRORS).map((e) => ({
    path: e.instancePath === '' ? '/' : e.instancePath,
    message: e.message ?? 'is invalid',
  }));
}

/**
 * The validate stage: shape, depth, then the tool's JSON Schema. Throws `invalid_args` with
 * JSON-pointer paths; never echoes argument values back (they may hold data the agent should not
 * see reflected into logs).
 */
export function validateArgs(toolName: string, validate: ValidateFunction, raw: unknown): ValidatedArgs {
  const args = raw === undefined ? {} : raw;
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new BriefcaseError('invalid_args', `Arguments for ${toolName} must be a JSON object.`, {
      details: { errors: [{ path: '/', message: 'must be object' }] },
    });
  }
  if (jsonDepth(args) > MAX_JSON_DEPTH) {
    throw new BriefcaseError(
      'invalid_args',
      `Arguments for ${toolName} are nested deeper than ${MAX_JSON_DEPTH} levels; flatten them.`,
      { details: { errors: [{ path: '/', message: `nesting deeper than ${MAX_JSON_DEPTH}` }] } },
    );
  }
  if (!validate(args)) {
    const list = problems(validate.errors);
    const first = list[0];
    throw new BriefcaseError(
      'invalid_args',
      `Arguments for ${toolName} do not match its input schema: ${first ? `${first.path} ${first.message}` : 'invalid'}${list.length > 1 ? ` (and ${list.length - 1} more)` : ''}. See the schema with \`briefcase tools list --json\`.`,
      { details: { errors: list } },
    );
  }
  const canonical = canonicalJson(args);
  return {
    args: args as Record<string, unknown>,
    argsBytes: Buffer.byteLength(canonical),
    argsHash: sha256Hex(canonical),
  };
}
