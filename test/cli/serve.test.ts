/** `stakeops serve` as a process: configuration errors, serving, and a clean stop on SIGTERM. */
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, runStakeops } from "../helpers/cli.js";
import { useTempDirs } from "../helpers/tempDir.js";

const tempDir = useTempDirs();

describe("stakeops serve", () => {
  it("refuses to start on a bad configuration, listing every problem", async () => {
    const dir = await tempDir();
    const run = await runStakeops(["serve"], { cwd: dir, env: { STAKEOPS_NETWORK: "goerli", STAKEOPS_PORT: "http" } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: invalid configuration:/);
    for (const setting of ["STAKEOPS_PORT", "STAKEOPS_ADMIN_TOKEN", "STAKEOPS_NETWORK", "STAKEOPS_WITHDRAWAL_ADDRESS", "STAKEOPS_KEYSTORE_PASSWORD"]) {
      expect(run.stderr).toContain(`  ${setting}`);
    }
  });

  it("serves, answers /health and /ready, and stops cleanly on SIGTERM", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "admin"), "x".repeat(32), { mode: 0o600 });
    await writeFile(join(dir, "password"), "y".repeat(32), { mode: 0o600 });
    const child = spawn(process.execPath, [CLI, "serve", "--port", "0"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        STAKEOPS_ADMIN_TOKEN_FILE: join(dir, "admin"),
        STAKEOPS_KEYSTORE_PASSWORD_FILE: join(dir, "password"),
        STAKEOPS_NETWORK: "hoodi",
        STAKEOPS_WITHDRAWAL_ADDRESS: "0x71C7656EC7ab88b098defB751B7401B5f6d8976F",
        STAKEOPS_LOG_LEVEL: "info",
      },
    });
    let stderr = "";
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line; stderr: ${stderr}`)), 20_000);
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk;
        const match = /serving on (http:\/\/\S+)/.exec(stderr);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    expect(await (await fetch(`${address}/health`)).json()).toEqual({ status: "ok" });
    expect(await (await fetch(`${address}/ready`)).json()).toEqual({ ready: true, checks: { database: "ok", beacon: "not configured" } });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/stakeops stopped/);
    // Structured JSON logs on stdout, one object per line, with no secret in them.
    const lines = stdout.trim().split("\n").map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toContain("stakeops serving");
    expect(stdout).not.toContain("x".repeat(32));
  });
});
