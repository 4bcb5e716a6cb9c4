/**
 * The Docker image cannot be built here (no Docker daemon), so its file is checked instead: both
 * stages on Node 24 slim, a non-root user, and an entry point that is the same bin the tests run.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../helpers/vectors.js";

const dockerfile = readFileSync(join(PROJECT_ROOT, "Dockerfile"), "utf8");
const instructions = dockerfile
  .split("\n")
  .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"))
  .join("\n")
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((line) => line.trim());
const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };

describe("Dockerfile", () => {
  it("is multi-stage on Node 24 slim", () => {
    const froms = instructions.filter((l) => l.startsWith("FROM "));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^FROM node:24-slim\b/);
  });

  it("runs as a non-root user", () => {
    const users = instructions.filter((l) => l.startsWith("USER "));
    expect(users.at(-1)).toMatch(/^USER (?!root\b|0\b)\S+/);
  });

  it("has `stakeops` as entry point, linked to the package's bin", () => {
    expect(instructions.filter((l) => l.startsWith("ENTRYPOINT"))).toEqual(['ENTRYPOINT ["stakeops"]']);
    expect(dockerfile).toContain(`ln -s /app/${pkg.bin["stakeops"]} /usr/local/bin/stakeops`);
    expect(existsSync(join(PROJECT_ROOT, pkg.bin["stakeops"] as string))).toBe(true);
  });

  it("serves on all interfaces by default, with the service's port exposed", () => {
    expect(instructions.filter((l) => l.startsWith("CMD"))).toEqual(['CMD ["serve"]']);
    expect(dockerfile).toMatch(/STAKEOPS_HOST=0\.0\.0\.0/);
    expect(instructions).toContain("EXPOSE 8080");
  });

  it("copies only paths that exist, and none that .dockerignore excludes", () => {
    const ignored = readFileSync(join(PROJECT_ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter(Boolean);
    const copied = instructions
      .filter((l) => l.startsWith("COPY ") && !l.includes("--from="))
      .flatMap((l) => l.replace(/^COPY\s+/, "").split(/\s+/).slice(0, -1));
    expect(copied.length).toBeGreaterThan(0);
    for (const path of copied) {
      expect(existsSync(join(PROJECT_ROOT, path)), path).toBe(true);
      expect(ignored, path).not.toContain(path);
    }
  });
});
