/**
 * JSON Schema builders whose values carry their TypeScript type, shaped like TypeBox's `Type`
 * (which this package used first). Each builder returns a plain JSON Schema object and nothing
 * else; the static type lives only in the type system. Written here rather than taken from TypeBox
 * because loading TypeBox (about 700 modules) cost every CLI process a third of a second of CPU
 * before its first request, for builders this small.
 */

declare const STATIC: unique symbol;
declare const OPTIONAL: unique symbol;

/** A JSON Schema object. */
export interface TSchema {
  [keyword: string]: unknown;
}

/** A JSON Schema whose valid values have the type `T`. */
export interface TUnsafe<T> extends TSchema {
  /** Type only: never present at runtime. */
  readonly [STATIC]: T;
}

/** A property schema that may be absent from its object. */
export interface TOptional<T> extends TUnsafe<T> {
  /** Type only: never present at runtime. */
  readonly [OPTIONAL]: true;
}

/** The TypeScript type of the values `S` accepts. */
export type Static<S> = S extends { readonly [STATIC]: infer T } ? T : unknown;

/** Members of an object schema. */
export type TProperties = Record<string, TUnsafe<unknown>>;

type OptionalKeys<P> = { [K in keyof P]: P[K] extends { readonly [OPTIONAL]: true } ? K : never }[keyof P];
type Evaluate<T> = { [K in keyof T]: T[K] } & {};
type ObjectStatic<P extends TProperties> = Evaluate<
  { [K in Exclude<keyof P, OptionalKeys<P>>]: Static<P[K]> } & { [K in OptionalKeys<P>]?: Static<P[K]> }
>;

/** Keywords a builder passes through unchanged (`description`, `maxLength`, …). */
export type Options = Record<string, unknown>;

// Which property schemas were made optional: the object builder leaves them out of `required`.
const optional = new WeakSet<object>();

/** Gives `schema` the static type `T`: the one place a builder's type is asserted rather than derived. */
function typed<T>(schema: TSchema): TUnsafe<T> {
  return schema as TUnsafe<T>;
}

function object<P extends TProperties>(properties: P, options: Options = {}): TUnsafe<ObjectStatic<P>> {
  const required = Object.keys(properties).filter((key) => !optional.has(properties[key] as object));
  return typed({ type: 'object', properties, ...(required.length > 0 ? { required } : {}), ...options });
}

function optionalOf<T>(schema: TUnsafe<T>): TOptional<T> {
  const copy = { ...schema };
  optional.add(copy);
  return copy as TOptional<T>;
}

/** The builders, named as in TypeBox. */
export const Type = {
  Object: object,
  Optional: optionalOf,
  String: (options: Options = {}) => typed<string>({ type: 'string', ...options }),
  Integer: (options: Options = {}) => typed<number>({ type: 'integer', ...options }),
  Number: (options: Options = {}) => typed<number>({ type: 'number', ...options }),
  Boolean: (options: Options = {}) => typed<boolean>({ type: 'boolean', ...options }),
  Null: (options: Options = {}) => typed<null>({ type: 'null', ...options }),
  /** Anything: no keyword at all. */
  Unknown: (options: Options = {}) => typed<unknown>({ ...options }),
  Literal: <const V extends string>(value: V, options: Options = {}) =>
    typed<V>({ type: 'string', const: value, ...options }),
  Array: <T>(items: TUnsafe<T>, options: Options = {}) => typed<T[]>({ type: 'array', items, ...options }),
  /** Any of `schemas`, written as `anyOf`. */
  Union: <const S extends readonly TUnsafe<unknown>[]>(schemas: S, options: Options = {}) =>
    typed<Static<S[number]>>({ anyOf: [...schemas], ...options }),
  /** A schema written by hand, declared to accept values of type `T`. */
  Unsafe: <T>(schema: TSchema) => typed<T>({ ...schema }),
};
