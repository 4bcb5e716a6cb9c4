/**
 * Crash-safe, no-overwrite file creation: write a temporary file in the same folder, fsync it,
 * then hard-link it to the final name (link fails with EEXIST instead of replacing a file), remove
 * the temporary name and fsync the folder. A crash leaves either no file or the whole file under
 * the final name, never a partial one; an existing file is never touched.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { StakeopsError } from "../errors.js";

export type FileWriteErrorCode = "FILE_EXISTS" | "FILE_WRITE_FAILED";

export class FileWriteError extends StakeopsError<FileWriteErrorCode> {}

export interface AtomicWriteOptions {
  /** Permission bits of the new file, e.g. 0o400 for a keystore. */
  readonly mode: number;
}

export async function createFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions): Promise<void> {
  const folder = dirname(path);
  const temporary = join(folder, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    // 0o600 while we write; the final mode may be read-only.
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await handle.writeFile(data);
      await handle.chmod(options.mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await publish(temporary, path);
    await syncFolder(folder);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    if (error instanceof FileWriteError) throw error;
    throw new FileWriteError("FILE_WRITE_FAILED", `could not write ${path}: ${describeIoError(error)}`, { path }, { cause: error });
  }
}

async function publish(temporary: string, path: string): Promise<void> {
  try {
    await link(temporary, path);
  } catch (error) {
    if (errorCode(error) === "EEXIST") {
      throw new FileWriteError("FILE_EXISTS", `${path} already exists; stakeops never overwrites a file`, { path });
    }
    if (errorCode(error) !== "EPERM" && errorCode(error) !== "ENOTSUP" && errorCode(error) !== "EOPNOTSUPP") throw error;
    // File systems without hard links: claim the name exclusively, then rename over our own claim.
    await claimName(path);
    await rename(temporary, path);
    return;
  }
  await unlink(temporary);
}

async function claimName(path: string): Promise<void> {
  try {
    await (await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)).close();
  } catch (error) {
    if (errorCode(error) === "EEXIST") {
      throw new FileWriteError("FILE_EXISTS", `${path} already exists; stakeops never overwrites a file`, { path });
    }
    throw error;
  }
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;
}

export function describeIoError(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code === undefined ? message : `${code} (${message})`;
}
