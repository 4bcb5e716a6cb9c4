/** Worker-thread entry for key generation: one seed and spec per worker, one validator index per task. */
import { workerData } from "node:worker_threads";
import { serveWorkerTasks } from "../util/workerPool.js";
import { generateKey, type KeyJobSpec } from "./keyJob.js";
import { ValidatorKeyDeriver } from "./validatorKeys.js";

export interface KeyWorkerData {
  readonly seed: Uint8Array;
  readonly spec: KeyJobSpec;
}

const data = workerData as KeyWorkerData;
const deriver = new ValidatorKeyDeriver(data.seed);
data.seed.fill(0);
serveWorkerTasks((index: number) => generateKey(deriver, data.spec, index));
