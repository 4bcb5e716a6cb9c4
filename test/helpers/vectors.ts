/**
 * Public test vectors. The project keeps a copy under test/fixtures/vectors so CI needs nothing
 * outside the repository; when ../shared/vectors is present too (the team's pinned set), the
 * copy must equal it byte for byte, so the two cannot drift apart.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const VENDORED = new URL("../fixtures/vectors/", import.meta.url);
const SHARED = new URL("../../../shared/vectors/", import.meta.url);

export function vectorText(name: string): string {
  return readFileSync(new URL(name, VENDORED), "utf8");
}

export function sharedVectorText(name: string): string | null {
  const url = new URL(name, SHARED);
  return existsSync(url) ? readFileSync(url, "utf8") : null;
}

/** Every file under a vendored vector folder (`eip3076-interchange-tests/`), relative to it, sorted. */
export function vectorFiles(folder: string): string[] {
  return filesUnder(new URL(folder, VENDORED));
}

/** The same for ../shared/vectors, or null when that folder is not there (a clean clone in CI). */
export function sharedVectorFiles(folder: string): string[] | null {
  const url = new URL(folder, SHARED);
  return existsSync(url) ? filesUnder(url) : null;
}

function filesUnder(folder: URL): string[] {
  return readdirSync(folder, { recursive: true, encoding: "utf8" })
    .filter((path) => statSync(new URL(path, folder)).isFile())
    .sort();
}

export function fixture<T>(relativePath: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${relativePath}`, import.meta.url), "utf8")) as T;
}

export function fixtureText(relativePath: string): string {
  return readFileSync(new URL(`../fixtures/${relativePath}`, import.meta.url), "utf8");
}

export function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/^0x/, ""), "hex"));
}

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** 32-byte big-endian encoding of a decimal secret key. */
export function decimalToBytes32(decimal: string): Uint8Array {
  return hexToBytes(BigInt(decimal).toString(16).padStart(64, "0"));
}
