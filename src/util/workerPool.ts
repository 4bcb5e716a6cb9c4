/**
 * A fixed pool of worker threads running one kind of task: tasks go to whichever worker is free,
 * results come back in input order. The first failure stops the pool and rejects the run.
 */
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker, parentPort } from "node:worker_threads";
import { StakeopsError } from "../errors.js";

export class WorkerTaskError extends StakeopsError<"WORKER_TASK_FAILED" | "WORKER_ABORTED"> {}

/** What a worker posts back: a result, or the error its task threw (code and message kept). */
export type WorkerReply<TOut> =
  | { readonly ok: true; readonly id: number; readonly result: TOut }
  | { readonly ok: false; readonly id: number; readonly error: { readonly name: string; readonly code?: string; readonly message: string } };

export interface WorkerPoolOptions {
  readonly script: URL;
  readonly size: number;
  /** Passed to every worker once, at start (e.g. the seed and settings). */
  readonly workerData: unknown;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly onResult?: (done: number, total: number) => void;
}

export async function runInWorkerPool<TIn, TOut>(
  options: WorkerPoolOptions,
  inputs: readonly TIn[],
  run: RunOptions = {},
): Promise<TOut[]> {
  if (inputs.length === 0) return [];
  const size = Math.max(1, Math.min(options.size, inputs.length));
  const results = new Array<TOut>(inputs.length);
  const workers: Worker[] = [];
  let next = 0;
  let done = 0;

  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      const onAbort = (): void =>
        fail(new WorkerTaskError("WORKER_ABORTED", "interrupted before all tasks finished", { done, total: inputs.length }));
      if (run.signal?.aborted === true) return onAbort();
      run.signal?.addEventListener("abort", onAbort, { once: true });

      const dispatch = (worker: Worker): void => {
        if (settled || next >= inputs.length) return;
        const id = next++;
        worker.postMessage({ id, input: inputs[id] });
      };
      for (let w = 0; w < size; w++) {
        const worker = new Worker(options.script, { workerData: options.workerData });
        workers.push(worker);
        worker.on("message", (reply: WorkerReply<TOut>) => {
          if (!reply.ok) {
            fail(new WorkerTaskError("WORKER_TASK_FAILED", reply.error.message, { task: reply.id, code: reply.error.code ?? null }));
            return;
          }
          results[reply.id] = reply.result;
          done++;
          run.onResult?.(done, inputs.length);
          if (done === inputs.length) {
            settled = true;
            run.signal?.removeEventListener("abort", onAbort);
            resolve();
          } else {
            dispatch(worker);
          }
        });
        worker.on("error", fail);
        worker.on("exit", (code) => {
          if (!settled && code !== 0) fail(new WorkerTaskError("WORKER_TASK_FAILED", `worker thread exited with code ${code}`, {}));
        });
        dispatch(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

/**
 * The compiled worker script next to the calling module. Under the test runner the caller is the
 * TypeScript source, which a worker thread cannot load on Node 20, so the compiled copy in dist/
 * is used instead (`npm test` builds first).
 */
export function workerScript(callerUrl: string, fileName: string): URL {
  const script = new URL(fileName, callerUrl);
  if (!callerUrl.endsWith(".ts")) return script;
  const compiled = fileURLToPath(script).replace(/([/\\])src([/\\])(?!.*[/\\]src[/\\])/, "$1dist$2");
  if (!existsSync(compiled)) {
    throw new WorkerTaskError("WORKER_TASK_FAILED", `compiled worker ${compiled} is missing; run \`npm run build\``, {});
  }
  return pathToFileURL(compiled);
}

/**
 * The worker side: answers each task message with the handler's result, or with the error it threw
 * (name, code and message survive the thread boundary; the stack stays in the worker).
 */
export function serveWorkerTasks<TIn, TOut>(handler: (input: TIn) => TOut): void {
  const port = parentPort;
  if (port === null) throw new Error("a worker script must run as a worker thread");
  port.on("message", ({ id, input }: { id: number; input: TIn }) => {
    let reply: WorkerReply<TOut>;
    try {
      reply = { ok: true, id, result: handler(input) };
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      const code = "code" in e && typeof e.code === "string" ? e.code : undefined;
      reply = { ok: false, id, error: { name: e.name, message: e.message, ...(code === undefined ? {} : { code }) } };
    }
    port.postMessage(reply);
  });
}
