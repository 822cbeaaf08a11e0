/**
 * True for any object that is neither null nor an array: the shape check for parsed JSON and other
 * loosely typed input, before reading its fields. It says nothing about the prototype, so a Date,
 * a Map or a class instance passes too; use {@link isPlainObject} where that matters.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * True only for objects whose prototype is `Object.prototype` or null: `{...}` literals,
 * `JSON.parse` results, `Object.create(null)`. False for arrays, null, Dates, Maps and class
 * instances, whose fields JSON would silently drop or transform. Use it where a value must be pure
 * data (canonical hashing, copying what is safe to walk); for a field check, {@link isRecord} is enough.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
