import { readFile } from "node:fs/promises";
import { InputError } from "../errors.js";
import { describeIoError } from "../util/atomicFile.js";

/** Reads and parses a JSON file; a parse failure says where, and that the file may be truncated. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new InputError("FILE_UNREADABLE", `cannot read ${what} ${path}: ${describeIoError(error)}`, { path });
  }
  if (text.trim() === "") throw new InputError("INVALID_JSON", `${what} ${path} is empty`, { path });
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(
      "INVALID_JSON",
      `${what} ${path} is not valid JSON (${reason}); the file may be truncated or edited by hand`,
      { path },
    );
  }
}
