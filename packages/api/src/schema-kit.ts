/**
 * Builders on top of {@link Type} that emit exactly the JSON Schema the routes always had
 * (`type: ['string', 'null']`, `type: 'string', enum`), so validation, serialization and the OpenAPI
 * document stay as they were while the static types come from the same object.
 */
import { type Static, type TSchema, type TUnsafe, Type } from './type.js';

/** JSON Schema keywords a builder may add next to the ones it writes itself. */
export type Annotations = Record<string, unknown>;

/**
 * `schema` or `null`, written as `type: [<type>, 'null']` (one validation error, not an anyOf); an
 * `enum` gets `null` added to its values.
 */
export function Nullable<T>(schema: TUnsafe<T>, annotations: Annotations = {}): TUnsafe<T | null> {
  if (typeof schema.type !== 'string') throw new Error('Nullable needs a schema with one type');
  const values = Array.isArray(schema.enum) ? { enum: [...schema.enum, null] } : {};
  return Type.Unsafe<T | null>({ ...schema, type: [schema.type, 'null'], ...values, ...annotations });
}

/** Exactly one of `schemas`, written as `oneOf`. */
export function OneOf<const S extends readonly TUnsafe<unknown>[]>(schemas: S): TUnsafe<Static<S[number]>> {
  return Type.Unsafe<Static<S[number]>>({ oneOf: [...schemas] });
}

/** One of a fixed set of strings, written as `{type: 'string', enum}`. */
export function StringEnum<const V extends readonly string[]>(
  values: V,
  annotations: Annotations = {},
): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...annotations });
}

/** Any JSON object (tool arguments, schemas, MCP results): checked to be an object, nothing more. */
export function JsonObject(annotations: Annotations = {}): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ type: 'object', ...annotations });
}

/** A JSON object whose values all match `value` (environment variables), bounded in size. */
export function StringMap(
  value: TUnsafe<string>,
  annotations: Annotations = {},
): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: value, ...annotations });
}

/** A request body that may also be `null`: routes whose arguments are all optional. */
export function OptionalBody<T>(schema: TUnsafe<T>): TUnsafe<T | null> {
  return Nullable(schema);
}

/** A schema shared by several routes: registered once, by `$id`, and referenced from the routes. */
export type SharedSchema<Id extends string = string> = TSchema & { $id: Id };

/** Names `schema` with `$id`, making it a {@link SharedSchema}. */
export function Shared<const Id extends string, T extends TSchema>($id: Id, schema: T): T & SharedSchema<Id> {
  return Object.assign(schema, { $id });
}

/**
 * A reference to a shared schema (`{$ref: '<id>'}`). Fastify resolves it among the schemas added
 * with `addSchema`, the OpenAPI generator turns it into `#/components/schemas/<id>`, and the
 * contract's validators resolve it among `SHARED_SCHEMAS`.
 */
export function Ref<T extends SharedSchema>(schema: T): TUnsafe<Static<T>> {
  return Type.Unsafe<Static<T>>({ $ref: schema.$id });
}
