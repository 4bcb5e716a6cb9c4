/**
 * Arrays and booleans out of parsed JSON, in the manner of jsonFields.ts: every failure is a
 * JsonFieldError naming the path (`data[3].is_live: expected a boolean, got "yes"`).
 */
import { JsonFieldError, describe, field, join, type JsonObject } from "./jsonFields.js";

export function asArray(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new JsonFieldError(path, `expected an array, got ${describe(value)}`);
  return value;
}

export function arrayField(object: JsonObject, key: string, path: string): readonly unknown[] {
  return asArray(field(object, key, path), join(path, key));
}

export function asBoolean(value: unknown, path: string): boolean {
  if (typeof value !== "boolean") throw new JsonFieldError(path, `expected a boolean, got ${describe(value)}`);
  return value;
}

export function booleanField(object: JsonObject, key: string, path: string): boolean {
  return asBoolean(field(object, key, path), join(path, key));
}

/** Absent (or null, which some servers write for "not set") gives undefined. */
export function optionalBooleanField(object: JsonObject, key: string, path: string): boolean | undefined {
  const value = object[key];
  return Object.hasOwn(object, key) && value !== undefined && value !== null ? asBoolean(value, join(path, key)) : undefined;
}

export function asString(value: unknown, path: string): string {
  if (typeof value !== "string") throw new JsonFieldError(path, `expected a string, got ${describe(value)}`);
  return value;
}

/** Path of an array element: `data[3]`. */
export function item(path: string, index: number): string {
  return `${path}[${index}]`;
}
