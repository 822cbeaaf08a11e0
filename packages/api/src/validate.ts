import type { Static, TSchema } from 'typebox';
import type { Validator } from 'typebox/compile';
import { Compile } from 'typebox/compile';
import { SHARED_SCHEMAS } from './shared.js';

/** Where each `{$ref: '<id>'}` of the contract points. */
const SHARED_CONTEXT: Record<string, TSchema> = Object.fromEntries(
  SHARED_SCHEMAS.map((schema) => [schema.$id, schema]),
);

/** A compiled check of one schema of the contract; narrows what it accepts to the schema's type. */
export interface ContractCheck<T extends TSchema> {
  (value: unknown): value is Static<T>;
  /** Where `value` first breaks the schema (a JSON pointer and why), for error messages. */
  firstError(value: unknown): string;
}

/**
 * A validator for `schema`, compiled on first use (JIT code, no Ajv): a process that never receives
 * a body of some route never pays for compiling its schema. Shared schemas are resolved by `$id`.
 */
export function compileCheck<T extends TSchema>(schema: T): ContractCheck<T> {
  let compiled: Validator | undefined;
  const validator = (): Validator => {
    compiled ??= Compile(SHARED_CONTEXT, schema);
    return compiled;
  };
  const check = (value: unknown): value is Static<T> => validator().Check(value);
  return Object.assign(check, {
    firstError(value: unknown): string {
      const [first] = validator().Errors(value);
      return first === undefined ? 'valid' : `${first.instancePath || '/'} ${first.message}`;
    },
  });
}
