import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `stakeops` binary as a user would: a real process, no stdin, no terminal. */
export function runStakeops(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Runs the binary on a pseudo-terminal (util-linux `script`), answering each prompt as it appears,
 * to test what a person at a terminal sees.
 */
export function runStakeopsInTerminal(
  args: readonly string[],
  answers: readonly { readonly prompt: string; readonly answer: string }[],
): Promise<{ code: number | null; output: string }> {
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", quoted, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    let next = 0;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      const pending = answers[next];
      if (pending === undefined) return;
      const shown = output.split(pending.prompt).length - 1;
      const needed = answers.slice(0, next + 1).filter((a) => a.prompt === pending.prompt).length;
      if (shown >= needed) {
        next++;
        child.stdin.write(`${pending.answer}\r`);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}
