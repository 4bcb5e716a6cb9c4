/** `stakeops serve` as a process: configuration errors, serving, and a clean stop on SIGTERM. */
import { spawn } from "node:child_process";
import { readFile, stat, writeFile } from "node:fs/promises";
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
    const { child, address, output } = await startServe(dir, ["serve", "--port", "0"], {
      STAKEOPS_ADMIN_TOKEN_FILE: join(dir, "admin"),
      STAKEOPS_KEYSTORE_PASSWORD_FILE: join(dir, "password"),
      STAKEOPS_NETWORK: "hoodi",
      STAKEOPS_WITHDRAWAL_ADDRESS: "0x71C7656EC7ab88b098defB751B7401B5f6d8976F",
      STAKEOPS_LOG_LEVEL: "info",
    });
    expect(await (await fetch(`${address}/health`)).json()).toEqual({ status: "ok" });
    expect(await (await fetch(`${address}/ready`)).json()).toEqual({ ready: true, checks: { database: "ok", beacon: "not configured" } });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output.stderr).toMatch(/stakeops stopped/);
    // Structured JSON logs on stdout, one object per line, with no secret in them.
    const lines = output.stdout.trim().split("\n").map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toContain("stakeops serving");
    expect(output.stdout).not.toContain("x".repeat(32));
  });

  it("--dev runs with nothing configured (the README's first command): throw-away secrets, mode 0600", async () => {
    const dir = await tempDir();
    const { child, address, output } = await startServe(dir, ["serve", "--dev", "--port", "0"], {});
    expect(output.stderr).toMatch(/dev mode: admin token in .*data\/dev\/admin-token; withdrawal address 0x0{39}1 is a placeholder/);
    const token = (await readFile(join(dir, "data", "dev", "admin-token"), "utf8")).trim();
    expect((await stat(join(dir, "data", "dev", "admin-token"))).mode & 0o777).toBe(0o600);
    const created = await fetch(`${address}/api/v1/operators`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "trial" }),
    });
    expect(created.status).toBe(201);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});

/** Starts `stakeops` with these arguments and waits for its "serving on" line. */
async function startServe(cwd: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...cleanEnv(), ...env } });
  const output = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (c: string) => (output.stdout += c));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start line; stderr: ${output.stderr}`)), 20_000);
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      output.stderr += chunk;
      const match = /serving on (http:\/\/\S+)/.exec(output.stderr);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`exited with ${code}; stderr: ${output.stderr}`)));
  });
  return { child, address, output };
}

/** The test runner's environment without any STAKEOPS_ setting a developer may have exported. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("STAKEOPS_") && k !== "DATABASE_URL" && k !== "BEACON_NODE_URLS"));
}
