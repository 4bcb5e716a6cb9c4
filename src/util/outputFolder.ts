import { mkdir, readdir, stat } from "node:fs/promises";
import { StakeopsError } from "../errors.js";
import { describeIoError, errorCode } from "./atomicFile.js";

export class OutputFolderError extends StakeopsError<"OUTPUT_NOT_EMPTY" | "OUTPUT_NOT_A_FOLDER" | "OUTPUT_UNUSABLE"> {}

/**
 * Creates the folder if needed and refuses one that already holds files (dotfiles such as
 * .gitkeep aside): mixing two runs' keystores and deposit files in one folder is how keys get
 * deposited twice or not at all.
 */
export async function prepareEmptyOutputFolder(folder: string, flag = "--out"): Promise<void> {
  try {
    const info = await stat(folder);
    if (!info.isDirectory()) {
      throw new OutputFolderError("OUTPUT_NOT_A_FOLDER", `${flag} ${folder} exists and is not a folder`, { folder });
    }
  } catch (error) {
    if (error instanceof OutputFolderError) throw error;
    if (errorCode(error) !== "ENOENT") {
      throw new OutputFolderError("OUTPUT_UNUSABLE", `${flag} ${folder}: ${describeIoError(error)}`, { folder }, { cause: error });
    }
    await mkdir(folder, { recursive: true, mode: 0o700 });
    return;
  }
  const existing = (await readdir(folder)).filter((name) => !name.startsWith("."));
  if (existing.length > 0) {
    const sample = existing.slice(0, 3).join(", ");
    throw new OutputFolderError(
      "OUTPUT_NOT_EMPTY",
      `${flag} ${folder} already contains ${existing.length} file${existing.length > 1 ? "s" : ""} (${sample}${existing.length > 3 ? ", …" : ""}); ` +
        "write each run to a new or empty folder",
      { folder, files: existing.length },
    );
  }
}
