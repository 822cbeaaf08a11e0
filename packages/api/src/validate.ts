import { type CompiledCheck, compileSchema } from './check.js';
import { SHARED_SCHEMAS } from './shared.js';
import type { Static, TSchema } from './type.js';

/** Where each `{$ref: '<id>'}` of the contract points. */
const SHARED: ReadonlyMap<string, TSchema> = new Map(SHARED_SCHEMAS.map((schema) => [schema.$id, schema]));

/** A compiled check of one schema of the contract; narrows what it accepts to the schema's type. */
export interface ContractCheck<T extends TSchema> {
  (value: unknown): value is Static<T>;
  /** Where `value` first breaks the schema (a JSON pointer and why), for error messages. */
  firstError(value: unknown): string;
}

const ignore = () => {};

/**
 * A validator for `schema`, compiled on first use: a process that never receives a body of some
 * route never pays for compiling its schema. Shared schemas are resolved by `$id`.
 */
export function compileCheck<T extends TSchema>(schema: T): ContractCheck<T> {
  let compiled: CompiledCheck | undefined;
  const validator = (): CompiledCheck => {
    compiled ??= compileSchema(schema, SHARED);
    return compiled;
  };
  const check = (value: unknown): value is Static<T> => validator()(value, '', ignore);
  return Object.assign(check, {
    firstError(value: unknown): string {
      let first = 'valid';
      validator()(value, '', (path, message) => {
        first = `${path || '/'} ${message}`;
      });
      return first;
    },
  });
}
