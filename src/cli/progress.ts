/**
 * Progress of long runs: a redrawn bar on a terminal, plain lines (about every 10% or 10 seconds)
 * when stderr goes to a file or CI log.
 */
import type { CliOutput } from "./io.js";

export type ProgressCallback = (done: number, total: number) => void;

const BAR_WIDTH = 30;
const REDRAW_MS = 100;
const LINE_INTERVAL_MS = 10_000;

export function createProgress(stream: CliOutput, label: string, now: () => number = Date.now): ProgressCallback {
  const started = now();
  let lastDraw = 0;
  let lastLineFraction = 0;
  return (done, total) => {
    const t = now();
    const elapsed = (t - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = rate > 0 ? Math.ceil((total - done) / rate) : null;
    const stats = `${done}/${total} ${label}, ${rate.toFixed(2)}/s${eta === null || done === total ? "" : `, ${formatSeconds(eta)} left`}`;
    if (stream.isTTY === true) {
      if (done !== total && t - lastDraw < REDRAW_MS) return;
      lastDraw = t;
      const filled = Math.round((done / total) * BAR_WIDTH);
      stream.write(`\r[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${stats}\u001b[K${done === total ? "\n" : ""}`);
      return;
    }
    const fraction = done / total;
    if (done === total || fraction - lastLineFraction >= 0.1 || t - lastDraw >= LINE_INTERVAL_MS) {
      lastDraw = t;
      lastLineFraction = fraction;
      stream.write(`progress: ${stats}\n`);
    }
  };
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes}m${String(seconds % 60).padStart(2, "0")}s` : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}
