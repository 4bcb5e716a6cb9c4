import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createFileAtomic } from "../../src/util/atomicFile.js";
import { listFiles, useTempDirs } from "../helpers/tempDir.js";

const tempDir = useTempDirs();

describe("createFileAtomic", () => {
  it("writes the whole content with the requested mode and leaves no temporary file", async () => {
    const dir = await tempDir();
    const file = join(dir, "keystore.json");
    await createFileAtomic(file, "secret", { mode: 0o400 });
    expect(await readFile(file, "utf8")).toBe("secret");
    expect((await stat(file)).mode & 0o777).toBe(0o400);
    expect(await listFiles(dir)).toEqual(["keystore.json"]);
  });

  it("never overwrites an existing file", async () => {
    const dir = await tempDir();
    const file = join(dir, "keystore.json");
    await writeFile(file, "original");
    await expect(createFileAtomic(file, "new", { mode: 0o400 })).rejects.toMatchObject({ code: "FILE_EXISTS" });
    expect(await readFile(file, "utf8")).toBe("original");
    expect(await listFiles(dir)).toEqual(["keystore.json"]);
  });

  it("reports a missing folder as FILE_WRITE_FAILED", async () => {
    const dir = await tempDir();
    await expect(createFileAtomic(join(dir, "missing", "x.json"), "x", { mode: 0o400 })).rejects.toMatchObject({
      code: "FILE_WRITE_FAILED",
    });
    expect(await listFiles(dir)).toEqual([]);
  });
});
