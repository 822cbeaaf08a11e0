/**
 * Compiles a schema of the contract into a validator: a tree of closures built once, so checking a
 * value never re-reads the schema. It knows the keywords the contract uses (and fails loudly at
 * compile time on any other validation keyword), with Ajv's semantics for them.
 */
import type { TSchema } from './type.js';

/** Receives where a value first fails its schema, and why. */
type Report = (path: string, message: string) => void;
/** A compiled check: true when `value` is valid; on the first failure, tells `report` and stops. */
export type CompiledCheck = (value: unknown, path: string, report: Report) => boolean;

// RFC 3339 date-time, as ajv-formats checks it (a time zone is required).
const DATE_TIME = /^\d{4}-\d\d-\d\dt\d\d:\d\d:\d\d(?:\.\d+)?(?:z|[+-]\d\d(?::?\d\d)?)$/i;
const FORMATS: Record<string, (value: string) => boolean> = {
  'date-time': (value) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)),
};

// Keywords that only describe: they never make a value invalid.
const ANNOTATIONS = new Set(['$id', 'description', 'title', 'examples', 'default', 'deprecated']);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const TYPES: Record<string, (value: unknown) => boolean> = {
  object: isObject,
  array: Array.isArray,
  string: (value) => typeof value === 'string',
  number: (value) => typeof value === 'number' && Number.isFinite(value),
  integer: (value) => Number.isInteger(value),
  boolean: (value) => typeof value === 'boolean',
  null: (value) => value === null,
};

const fail = (report: Report, path: string, message: string): false => {
  report(path, message);
  return false;
};

/** Compiles `schema`, resolving `{$ref: '<id>'}` among `shared` (by `$id`). */
export function compileSchema(schema: TSchema, shared: ReadonlyMap<string, TSchema>): CompiledCheck {
  const compiled = new Map<TSchema, CompiledCheck>();

  const compile = (node: TSchema): CompiledCheck => {
    const known = compiled.get(node);
    if (known !== undefined) return known;
    // A placeholder first: a schema may refer to itself through a $ref.
    let body: CompiledCheck = () => true;
    const check: CompiledCheck = (value, path, report) => body(value, path, report);
    compiled.set(node, check);
    body = build(node);
    return check;
  };

  const build = (node: TSchema): CompiledCheck => {
    const checks: CompiledCheck[] = [];
    for (const [keyword, argument] of Object.entries(node)) {
      const step = keywordCheck(node, keyword, argument);
      if (step !== undefined) checks.push(step);
    }
    return (value, path, report) => {
      for (const step of checks) if (!step(value, path, report)) return false;
      return true;
    };
  };

  const keywordCheck = (node: TSchema, keyword: string, argument: unknown): CompiledCheck | undefined => {
    switch (keyword) {
      case '$ref': {
        const target = shared.get(String(argument).replace(/#$/, ''));
        if (target === undefined) throw new Error(`unknown $ref ${String(argument)}`);
        return compile(target);
      }
      case 'type': {
        const names = Array.isArray(argument) ? argument.map(String) : [String(argument)];
        const tests = names.map((name) => {
          const test = TYPES[name];
          if (test === undefined) throw new Error(`unknown type ${name}`);
          return test;
        });
        const message = `must be ${names.join(',')}`;
        return (value, path, report) => tests.some((test) => test(value)) || fail(report, path, message);
      }
      case 'enum': {
        const values = argument as unknown[];
        return (value, path, report) =>
          values.includes(value) || fail(report, path, 'must be equal to one of the allowed values');
      }
      case 'const':
        return (value, path, report) => value === argument || fail(report, path, 'must be equal to constant');
      case 'minLength':
      case 'maxLength': {
        const limit = Number(argument);
        const ok = keyword === 'minLength' ? (n: number) => n >= limit : (n: number) => n <= limit;
        const message = `must NOT have ${keyword === 'minLength' ? 'fewer' : 'more'} than ${limit} characters`;
        // Lengths count code points, as Ajv does.
        return (value, path, report) =>
          typeof value !== 'string' || ok([...value].length) || fail(report, path, message);
      }
      case 'pattern': {
        const pattern = new RegExp(String(argument), 'u');
        const message = `must match pattern "${String(argument)}"`;
        return (value, path, report) =>
          typeof value !== 'string' || pattern.test(value) || fail(report, path, message);
      }
      case 'format': {
        const test = FORMATS[String(argument)];
        if (test === undefined) throw new Error(`unknown format ${String(argument)}`);
        const message = `must match format "${String(argument)}"`;
        return (value, path, report) =>
          typeof value !== 'string' || test(value) || fail(report, path, message);
      }
      case 'minimum':
      case 'maximum': {
        const limit = Number(argument);
        const ok = keyword === 'minimum' ? (n: number) => n >= limit : (n: number) => n <= limit;
        const message = `must be ${keyword === 'minimum' ? '>=' : '<='} ${limit}`;
        return (value, path, report) => typeof value !== 'number' || ok(value) || fail(report, path, message);
      }
      case 'items': {
        const item = compile(argument as TSchema);
        return (value, path, report) =>
          !Array.isArray(value) || value.every((element, i) => item(element, `${path}/${i}`, report));
      }
      case 'minItems':
      case 'maxItems': {
        const limit = Number(argument);
        const ok = keyword === 'minItems' ? (n: number) => n >= limit : (n: number) => n <= limit;
        const message = `must NOT have ${keyword === 'minItems' ? 'fewer' : 'more'} than ${limit} items`;
        return (value, path, report) =>
          !Array.isArray(value) || ok(value.length) || fail(report, path, message);
      }
      case 'required': {
        const names = argument as string[];
        return (value, path, report) =>
          !isObject(value) ||
          names.every(
            (name) =>
              Object.hasOwn(value, name) || fail(report, path, `must have required property '${name}'`),
          );
      }
      case 'properties': {
        const members = Object.entries(argument as Record<string, TSchema>).map(
          ([name, member]) => [name, compile(member)] as const,
        );
        return (value, path, report) =>
          !isObject(value) ||
          members.every(
            ([name, member]) =>
              !Object.hasOwn(value, name) || member(value[name], `${path}/${pointerToken(name)}`, report),
          );
      }
      case 'additionalProperties': {
        if (argument === true) return undefined;
        const declared = new Set(Object.keys((node.properties as object | undefined) ?? {}));
        const extra = argument === false ? undefined : compile(argument as TSchema);
        return (value, path, report) =>
          !isObject(value) ||
          Object.keys(value).every((name) => {
            if (declared.has(name)) return true;
            if (extra === undefined) return fail(report, path, 'must NOT have additional properties');
            return extra(value[name], `${path}/${pointerToken(name)}`, report);
          });
      }
      case 'maxProperties': {
        const limit = Number(argument);
        const message = `must NOT have more than ${limit} properties`;
        return (value, path, report) =>
          !isObject(value) || Object.keys(value).length <= limit || fail(report, path, message);
      }
      case 'anyOf':
      case 'oneOf': {
        const options = (argument as TSchema[]).map(compile);
        const quiet: Report = () => {};
        const message = `must match ${keyword === 'anyOf' ? 'a schema in anyOf' : 'exactly one schema in oneOf'}`;
        return (value, path, report) => {
          const matches = options.filter((option) => option(value, path, quiet)).length;
          return (keyword === 'anyOf' ? matches > 0 : matches === 1) || fail(report, path, message);
        };
      }
      default:
        if (ANNOTATIONS.has(keyword)) return undefined;
        throw new Error(`the contract's validator does not know the keyword ${keyword}`);
    }
  };

  return compile(schema);
}

/** Escapes a member name for a JSON pointer (RFC 6901). */
function pointerToken(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}
