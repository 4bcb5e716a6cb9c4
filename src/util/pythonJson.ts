/**
 * JSON text byte-for-byte as Python's `json.dumps` writes it with its defaults (separators ", "
 * and ": ", ensure_ascii), which is how the deposit CLI writes deposit data, keystores and exits.
 * Tools that diff or hash those files see the same bytes from stakeops.
 */
export type PythonJsonValue =
  | string
  | number
  | boolean
  | null
  | readonly PythonJsonValue[]
  | { readonly [key: string]: PythonJsonValue };

export function pythonJsonDumps(value: PythonJsonValue): string {
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new RangeError(`only safe integers are written, got ${value}`);
    return String(value);
  }
  if (typeof value === "string") return asciiString(value);
  if (Array.isArray(value)) return `[${value.map((v: PythonJsonValue) => pythonJsonDumps(v)).join(", ")}]`;
  const entries = Object.entries(value as { readonly [key: string]: PythonJsonValue });
  return `{${entries.map(([k, v]) => `${asciiString(k)}: ${pythonJsonDumps(v)}`).join(", ")}}`;
}

/** ensure_ascii: every UTF-16 code unit outside printable ASCII (DEL included) as \uXXXX, so astral characters become surrogate pairs. No `u` flag on purpose. */
function asciiString(value: string): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
