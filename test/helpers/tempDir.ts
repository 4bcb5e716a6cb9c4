import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach } from "vitest";

/** A fresh temporary folder per call, removed after the test ("each") or after the file's tests ("all"). */
export function useTempDirs(scope: "each" | "all" = "each"): () => Promise<string> {
  const made: string[] = [];
  (scope === "each" ? afterEach : afterAll)(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), "stakeops-test-"));
    made.push(dir);
    return dir;
  };
}

export async function listFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}
