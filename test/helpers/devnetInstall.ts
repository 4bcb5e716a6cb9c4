/**
 * Installs the shared beacon devnet (a pinned Lodestar 1.5.1, see ../shared/beacon-devnet/README.md)
 * into a cache folder outside the repository, once, and hands back its path.
 *
 * The shared folder is never written to: it may be read-only and other projects use it. The copy
 * lives in `<tmpdir>/stakeops-devnet-<hash>`, where the hash covers every file copied, so a change
 * to the pinned tree or the scripts gets a fresh install instead of a stale one. Concurrent test
 * files (vitest runs them in parallel) and a CI pre-install step may all ask at once: a lock folder
 * makes one of them install while the others wait, and the install happens in a staging folder
 * that is renamed into place only when complete, so a killed install never looks finished.
 *
 * CI pre-installs with `node --import tsx test/helpers/devnetInstall.ts` (prints the path).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { chmod, cp, mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Written last, inside the staging folder: its presence means `npm ci` and the patches succeeded. */
const READY_MARKER = ".stakeops-devnet-ready";
/** Run-time output of the devnet itself; never part of the copy. */
const SKIPPED = new Set(["node_modules", "data", "logs"]);
const SKIPPED_SUFFIXES = [".log", ".pid"];
/** The README says about a minute; a slow registry on a 2-core CI machine gets ample headroom. */
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const LOCK_POLL_MS = 500;

export function devnetSource(): string {
  const source = resolve(process.env.STAKEOPS_DEVNET_SOURCE ?? join(PROJECT_ROOT, "..", "shared", "beacon-devnet"));
  for (const required of ["package.json", "package-lock.json", "start-dev.sh", "start-vc.sh"]) {
    if (!existsSync(join(source, required))) {
      throw new Error(
        `the beacon devnet is missing: ${join(source, required)} does not exist. The e2e tests run the shared ` +
          "Lodestar devnet from ../shared/beacon-devnet beside the project root; set STAKEOPS_DEVNET_SOURCE to its folder " +
          "if it lives elsewhere.",
      );
    }
  }
  return source;
}

export interface InstallOptions {
  /** Progress lines (copying, npm ci, waiting for another installer); silent by default. */
  readonly log?: (line: string) => void;
}

/** Path of an installed copy of the devnet, installing it first if needed. */
export async function ensureDevnetInstalled(options: InstallOptions = {}): Promise<string> {
  const log = options.log ?? (() => {});
  const source = devnetSource();
  const files = await sourceFiles(source);
  const hash = await contentHash(source, files);
  const target = join(process.env.STAKEOPS_DEVNET_CACHE ?? tmpdir(), `stakeops-devnet-${hash}`);
  if (await isInstalled(target, hash)) return target;

  const lock = `${target}.lock`;
  const deadline = Date.now() + INSTALL_TIMEOUT_MS;
  await mkdir(resolve(target, ".."), { recursive: true });
  while (!(await tryLock(lock))) {
    if (await isInstalled(target, hash)) return target;
    if (Date.now() > deadline) throw new Error(`timed out waiting for another process installing the devnet (lock ${lock})`);
    log(`waiting for another process installing the devnet (lock ${lock})`);
    await sleep(LOCK_POLL_MS);
  }
  try {
    if (await isInstalled(target, hash)) return target;
    const staging = `${target}.staging-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    log(`copying ${source} to ${staging}`);
    await mkdir(staging);
    for (const file of files) {
      await cp(join(source, file), join(staging, file), { recursive: true });
      // The shared files are read-only; the copy is ours to patch and delete.
      await chmod(join(staging, file), (await stat(join(source, file))).mode | 0o200);
    }
    log(`npm ci in ${staging} (about a minute)`);
    await runNpmCi(staging, `${target}.install.log`);
    await writeFile(join(staging, READY_MARKER), `${hash}\n`);
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
    log(`devnet installed at ${target}`);
    return target;
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function sourceFiles(source: string): Promise<string[]> {
  const names = await readdir(source);
  return names.filter((name) => !SKIPPED.has(name) && !SKIPPED_SUFFIXES.some((suffix) => name.endsWith(suffix))).sort();
}

async function contentHash(source: string, files: readonly string[]): Promise<string> {
  const hash = createHash("sha256");
  const visit = async (path: string): Promise<void> => {
    const info = await stat(path);
    if (info.isDirectory()) {
      for (const name of (await readdir(path)).sort()) await visit(join(path, name));
      return;
    }
    hash.update(`${relative(source, path)}\0${info.mode & 0o111 ? "x" : "-"}\0`);
    hash.update(await readFile(path));
  };
  for (const file of files) await visit(join(source, file));
  return hash.digest("hex").slice(0, 12);
}

async function isInstalled(target: string, hash: string): Promise<boolean> {
  try {
    return (await readFile(join(target, READY_MARKER), "utf8")).trim() === hash;
  } catch {
    return false;
  }
}

/** mkdir is atomic: whoever creates the folder holds the lock. A lock left by a dead process is taken over. */
async function tryLock(lock: string): Promise<boolean> {
  try {
    await mkdir(lock);
    await writeFile(join(lock, "pid"), `${process.pid}\n`);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const owner = Number.parseInt(await readFile(join(lock, "pid"), "utf8").catch(() => ""), 10);
  if (Number.isSafeInteger(owner) && !isAlive(owner)) {
    await rm(lock, { recursive: true, force: true });
    return tryLock(lock);
  }
  if (!Number.isSafeInteger(owner)) {
    // Created but the pid not yet written: give the owner a moment, then treat it as stale.
    const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
    if (age > 10_000) await rm(lock, { recursive: true, force: true });
  }
  return false;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function runNpmCi(cwd: string, logFile: string): Promise<void> {
  // An npm that runs us (`npm test`) exports its own settings, and `npm_config_local_prefix` would
  // point the nested install back at the project. User and global npmrc still apply.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        !key.startsWith("npm_package_") && !key.startsWith("npm_lifecycle_") && key !== "npm_config_local_prefix" && key !== "INIT_CWD",
    ),
  );
  const out = createWriteStream(logFile);
  await new Promise<void>((resolveOpen, rejectOpen) => out.once("open", () => resolveOpen()).once("error", rejectOpen));
  try {
    const code = await new Promise<number | null>((resolveRun, rejectRun) => {
      const child = spawn("npm", ["ci", "--no-audit", "--no-fund"], { cwd, env, stdio: ["ignore", out, out] });
      const timer = setTimeout(() => child.kill("SIGTERM"), INSTALL_TIMEOUT_MS);
      child.once("error", (error) => {
        clearTimeout(timer);
        rejectRun(error);
      });
      child.once("exit", (exitCode) => {
        clearTimeout(timer);
        resolveRun(exitCode);
      });
    });
    if (code !== 0) {
      const tail = (await readFile(logFile, "utf8")).split("\n").slice(-30).join("\n");
      throw new Error(`npm ci for the devnet failed (exit ${String(code)}); log ${logFile}, last lines:\n${tail}`);
    }
  } finally {
    out.end();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  ensureDevnetInstalled({ log: (line) => process.stderr.write(`devnet: ${line}\n`) }).then(
    (path) => process.stdout.write(`${path}\n`),
    (error: unknown) => {
      process.stderr.write(`devnet install failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
