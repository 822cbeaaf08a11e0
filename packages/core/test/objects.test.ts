import { isPlainObject, isRecord } from '@briefcase/core';
import { describe, expect, it } from 'vitest';

class Point {
  x = 1;
}

const plain = [{}, { a: 1 }, JSON.parse('{"a":[1]}'), Object.create(null)];
const notObjects = [null, undefined, 0, '', 'x', true, Symbol('s'), 10n, () => {}, [], [1], new Array(2)];
const nonPlainObjects = [
  new Date(0),
  new Map(),
  new Set(),
  new Point(),
  /re/,
  new Uint8Array(1),
  Object.create({}),
];

describe('isRecord', () => {
  it('accepts every non-null, non-array object', () => {
    for (const value of [...plain, ...nonPlainObjects]) expect(isRecord(value)).toBe(true);
  });

  it('refuses primitives, functions, null and arrays', () => {
    for (const value of notObjects) expect(isRecord(value)).toBe(false);
  });
});

describe('isPlainObject', () => {
  it('accepts literals, JSON.parse objects and null-prototype objects', () => {
    for (const value of plain) expect(isPlainObject(value)).toBe(true);
  });

  it('refuses class instances, built-ins and objects with another prototype', () => {
    for (const value of nonPlainObjects) expect(isPlainObject(value)).toBe(false);
  });

  it('refuses whatever isRecord refuses', () => {
    for (const value of notObjects) expect(isPlainObject(value)).toBe(false);
  });
});
