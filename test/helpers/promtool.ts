/**
 * Prometheus's own tools, from Debian's `prometheus` package (.ci/run installs it): `promtool` to
 * check and unit-test the rules, `prometheus` for the integration test. Missing tools fail the
 * tests with the command that installs them, rather than skipping what CI must check.
 */
import { spawn } from "node:child_process";

export const INSTALL_HINT = "install Prometheus's tools: apt-get install prometheus (Debian 12 has 2.42)";

export interface ToolRun {
  readonly code: number | null;
  readonly output: string;
}

/** Runs a tool to completion; output is stdout and stderr interleaved, for failure messages. */
export function runTool(command: string, args: readonly string[], options: { cwd?: string; input?: string } = {}): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (output += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (output += c));
    child.on("error", (error: NodeJS.ErrnoException) => reject(error.code === "ENOENT" ? new Error(`${command} not found: ${INSTALL_HINT}`) : error));
    child.on("close", (code) => resolve({ code, output }));
    child.stdin.end(options.input ?? "");
  });
}
