/**
 * A real Prometheus (Debian's `prometheus` binary) for tests: its own free port on 127.0.0.1, its
 * own storage in a temporary folder, a generated configuration; stopped by its PID.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { INSTALL_HINT } from "./promtool.js";

export interface QueryAnswer {
  readonly status: "success" | "error";
  readonly error?: string;
  readonly errorType?: string;
  readonly data?: { readonly resultType: string; readonly result: readonly { readonly metric: Record<string, string>; readonly value?: [number, string] }[] };
  readonly warnings?: readonly string[];
}

export interface PrometheusServer {
  readonly url: string;
  readonly pid: number;
  /** An instant query through the HTTP API (POST, so long expressions fit). */
  query(expr: string): Promise<QueryAnswer>;
  /** GET on the HTTP API, JSON answer. */
  api(path: string): Promise<unknown>;
  /** What Prometheus logged, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/**
 * Starts Prometheus with `config` (YAML text) written into `dir`, storage in `dir/data`, and waits
 * until it is ready. A port taken between probing and binding makes it exit: then it tries anew.
 */
export async function startPrometheus(config: string, dir: string): Promise<PrometheusServer> {
  const configFile = join(dir, "prometheus.yml");
  await writeFile(configFile, config);
  let lastLogs = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      "prometheus",
      [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let logs = "";
    child.stdout?.setEncoding("utf8").on("data", (c: string) => (logs += c));
    child.stderr?.setEncoding("utf8").on("data", (c: string) => (logs += c));
    const spawned = await new Promise<Error | null>((resolve) => {
      child.once("spawn", () => resolve(null));
      child.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ENOENT" ? new Error(`prometheus not found: ${INSTALL_HINT}`) : error));
    });
    if (spawned !== null) throw spawned;
    const deadline = Date.now() + 30_000;
    let ready = false;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        ready = (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) })).ok;
      } catch {
        // Not listening yet.
      }
      if (ready) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (!ready) {
      await stopChild(child);
      lastLogs = logs;
      continue;
    }
    const api = async (path: string): Promise<unknown> => (await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) })).json();
    return {
      url,
      pid: child.pid as number,
      api,
      query: async (expr) => {
        const response = await fetch(`${url}/api/v1/query`, { method: "POST", body: new URLSearchParams({ query: expr }), signal: AbortSignal.timeout(10_000) });
        return (await response.json()) as QueryAnswer;
      },
      logs: () => logs,
      stop: () => stopChild(child),
    };
  }
  throw new Error(`prometheus did not become ready in three attempts; last log:\n${lastLogs}`);
}
