/**
 * Reading typed fields out of parsed JSON (`unknown`) with errors that name the exact path of the
 * bad field, e.g. `crypto.kdf.params.salt: expected a string`. External JSON never becomes `any`.
 */
export type JsonObject = Readonly<Record<string, unknown>>;

export class JsonFieldError extends Error {
  constructor(
    readonly path: string,
    readonly expectation: string,
  ) {
    super(`${path}: ${expectation}`);
    this.name = "JsonFieldError";
  }
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown, path: string): JsonObject {
  if (!isJsonObject(value)) throw new JsonFieldError(path, `expected an object, got ${describe(value)}`);
  return value;
}

export function field(object: JsonObject, key: string, path: string): unknown {
  if (!Object.hasOwn(object, key)) throw new JsonFieldError(join(path, key), "missing");
  return object[key];
}

export function stringField(object: JsonObject, key: string, path: string): string {
  const value = field(object, key, path);
  if (typeof value !== "string") throw new JsonFieldError(join(path, key), `expected a string, got ${describe(value)}`);
  return value;
}

export function optionalStringField(object: JsonObject, key: string, path: string): string | undefined {
  return Object.hasOwn(object, key) && object[key] !== undefined ? stringField(object, key, path) : undefined;
}

export function integerField(object: JsonObject, key: string, path: string): number {
  const value = field(object, key, path);
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new JsonFieldError(join(path, key), `expected an integer, got ${describe(value)}`);
  }
  return value;
}

export function objectField(object: JsonObject, key: string, path: string): JsonObject {
  return asObject(field(object, key, path), join(path, key));
}

export function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return value.length > 24 ? `a string "${value.slice(0, 24)}…"` : `"${value}"`;
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}
