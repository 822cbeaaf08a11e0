/**
 * Small builders on top of TypeBox that emit exactly the JSON Schema the routes always had
 * (`type: ['string', 'null']`, `type: 'string', enum`), so validation, serialization and the OpenAPI
 * document stay as they were while the static types come from the same object.
 */
import Type, { type Static, type TSchema, type TUnsafe } from 'typebox';

/** JSON Schema keywords a builder may add next to the ones it writes itself. */
export type Annotations = Record<string, unknown>;

/**
 * `schema` or `null`, written as `type: [<type>, 'null']` (one validation error, not an anyOf); an
 * `enum` gets `null` added to its values.
 */
export function Nullable<T extends TSchema & { type: string; enum?: unknown[] }>(
  schema: T,
  annotations: Annotations = {},
): TUnsafe<Static<T> | null> {
  const values = schema.enum === undefined ? {} : { enum: [...schema.enum, null] };
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'], ...values, ...annotations });
}

/** Exactly one of `schemas`, written as `oneOf`. */
export function OneOf<const T extends readonly TSchema[]>(
  schemas: T,
): TUnsafe<{ [K in keyof T]: Static<T[K]> }[number]> {
  return Type.Unsafe<{ [K in keyof T]: Static<T[K]> }[number]>({ oneOf: [...schemas] });
}

/** One of a fixed set of strings, written as `{type: 'string', enum}`. */
export function StringEnum<const V extends readonly string[]>(
  values: V,
  annotations: Annotations = {},
): TUnsafe<V[number]> & { type: 'string'; enum: string[] } {
  return Object.assign(Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...annotations }), {
    type: 'string' as const,
    enum: [...values],
  });
}

/** Any JSON object (tool arguments, schemas, MCP results): checked to be an object, nothing more. */
export function JsonObject(
  annotations: Annotations = {},
): TUnsafe<Record<string, unknown>> & { type: 'object' } {
  return Object.assign(Type.Unsafe<Record<string, unknown>>({ ...annotations }), { type: 'object' as const });
}

/** A JSON object with string values (environment variables), bounded in size. */
export function StringMap(value: TSchema, annotations: Annotations = {}): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: value, ...annotations });
}

/** A request body that may be absent (`null` when a client sends `null`): optional arguments only. */
export function OptionalBody<T extends TSchema & { type: 'object' }>(schema: T): TUnsafe<Static<T> | null> {
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
 * with `addSchema`, the OpenAPI generator turns it into `#/components/schemas/<id>`, and the compiled
 * validators resolve it in the context of every shared schema.
 */
export function Ref<T extends SharedSchema>(schema: T): TUnsafe<Static<T>> {
  return Type.Unsafe<Static<T>>({ $ref: schema.$id });
}
