/**
 * Reads and validates the service configuration once, at start: environment first, then an
 * optional JSON file (STAKEOPS_CONFIG_FILE), secrets also from `<NAME>_FILE`. Every problem is
 * collected and reported together; nothing starts on a bad configuration.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseAddress } from "../chain/address.js";
import { resolveDepositNetwork, type Network } from "../chain/networks.js";
import { parseEthAmount } from "../deposit/amount.js";
import { addressWithdrawalCredentials, amountProblem, withdrawalTypeOf } from "../deposit/withdrawalCredentials.js";
import { InputError, isStakeopsError } from "../errors.js";
import { describeIoError } from "../util/atomicFile.js";
import { parseHex } from "../util/hex.js";
import { isJsonObject } from "../util/jsonFields.js";
import { ConfigError, type ConfigProblem } from "./errors.js";
import { SETTINGS, type SettingName } from "./settings.js";
import { parseExitPolicy, type ExitPolicy } from "../exit/exitPolicy.js";

export type DatabaseConfig = { readonly kind: "sqlite"; readonly path: string } | { readonly kind: "postgres"; readonly url: string };

export interface ServiceConfig {
  readonly host: string;
  readonly port: number;
  readonly database: DatabaseConfig;
  readonly adminToken: string;
  readonly network: Network;
  readonly withdrawalCredentials: Uint8Array;
  readonly depositAmountGwei: number;
  readonly keystorePassword: string;
  readonly keysDir: string;
  readonly beaconNodeUrls: readonly string[];
  readonly inventoryIntervalMs: number;
  readonly statusIntervalMs: number;
  readonly migration: { readonly intervalMs: number; readonly offlineEpochs: number; readonly timeoutEpochs: number };
  readonly monitor: { readonly enabled: boolean; readonly intervalMs: number; readonly retentionEpochs: number; readonly maxCatchupEpochs: number };
  readonly exits: { readonly dryRun: boolean; readonly killSwitch: boolean; readonly policy: ExitPolicy | null; readonly intervalMs: number; readonly executionRpcUrl: string | null };
  readonly risk: { readonly intervalMs: number; readonly doppelgangerWindowEpochs: number };
  readonly keygenWorkers: number | undefined;
  readonly bodyLimitBytes: number;
  readonly logLevel: LogLevel;
}

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace";
const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace"];

export interface ConfigSource {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => string;
  /** Command-line overrides (`--host`, `--port`), which win over everything. */
  readonly overrides?: Partial<Record<SettingName, string>>;
}

/** The smallest admin token accepted: ~144 bits if random base64. */
const MIN_ADMIN_TOKEN_LENGTH = 24;
const MIN_SERVICE_PASSWORD_LENGTH = 16;

export function loadConfig(source: ConfigSource): ServiceConfig {
  const readFile = source.readFile ?? ((path: string) => readFileSync(path, "utf8"));
  const problems: ConfigProblem[] = [];
  const fileValues = readConfigFile(source.env["STAKEOPS_CONFIG_FILE"], readFile, problems);

  const raw = (name: SettingName): string | undefined => {
    const override = source.overrides?.[name];
    if (override !== undefined) return override;
    const value = source.env[name] ?? fileValues[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const secret = (name: SettingName): string | undefined => {
    const direct = raw(name);
    const file = source.env[`${name}_FILE`] ?? fileValues[`${name}_FILE`];
    if (direct !== undefined && file !== undefined) {
      problems.push({ setting: name, message: `set either ${name} or ${name}_FILE, not both` });
      return undefined;
    }
    if (file === undefined) return direct;
    try {
      const value = readFile(file).replace(/\r?\n$/, "");
      if (value === "") problems.push({ setting: `${name}_FILE`, message: `${file} is empty` });
      return value;
    } catch (error) {
      problems.push({ setting: `${name}_FILE`, message: `cannot read ${file}: ${describeIoError(error)}` });
      return undefined;
    }
  };
  const attempt = <T>(setting: string, read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (error instanceof ConfigError) {
        problems.push(...error.details.problems);
        return undefined;
      }
      if (!isStakeopsError(error)) throw error;
      problems.push({ setting, message: error.message });
      return undefined;
    }
  };
  const integer = (name: SettingName, min: number, max: number): number | undefined => {
    const value = raw(name) ?? defaultOf(name);
    if (value === undefined) return undefined;
    if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
      problems.push({ setting: name, message: `must be a whole number from ${min} to ${max}, got "${value}"` });
      return undefined;
    }
    return Number(value);
  };

  const host = raw("STAKEOPS_HOST") ?? (defaultOf("STAKEOPS_HOST") as string);
  const port = integer("STAKEOPS_PORT", 0, 65535);
  const database = attempt("DATABASE_URL", () => parseDatabaseUrl(raw("DATABASE_URL") ?? (defaultOf("DATABASE_URL") as string)));

  const adminToken = secret("STAKEOPS_ADMIN_TOKEN");
  if (adminToken === undefined) {
    if (!problems.some((p) => p.setting.startsWith("STAKEOPS_ADMIN_TOKEN"))) {
      problems.push({ setting: "STAKEOPS_ADMIN_TOKEN", message: "required: set STAKEOPS_ADMIN_TOKEN_FILE (or STAKEOPS_ADMIN_TOKEN)" });
    }
  } else if (adminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
    problems.push({ setting: "STAKEOPS_ADMIN_TOKEN", message: `must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -base64 32\`)` });
  }

  const network = attempt("STAKEOPS_NETWORK", () =>
    resolveDepositNetwork({
      network: raw("STAKEOPS_NETWORK"),
      forkVersion: raw("STAKEOPS_FORK_VERSION"),
      networkName: raw("STAKEOPS_NETWORK_NAME"),
    }),
  );
  const withdrawalCredentials = attempt("STAKEOPS_WITHDRAWAL_ADDRESS", () => readWithdrawalCredentials(raw));
  const depositAmountGwei = attempt("STAKEOPS_DEPOSIT_AMOUNT_ETH", () => {
    const amount = parseEthAmount(raw("STAKEOPS_DEPOSIT_AMOUNT_ETH") ?? "32", "STAKEOPS_DEPOSIT_AMOUNT_ETH");
    const type = withdrawalCredentials === undefined ? null : withdrawalTypeOf(withdrawalCredentials);
    const problem = type === null ? null : amountProblem(type, amount);
    if (problem !== null) problems.push({ setting: "STAKEOPS_DEPOSIT_AMOUNT_ETH", message: problem });
    return amount;
  });

  const keystorePassword = secret("STAKEOPS_KEYSTORE_PASSWORD");
  if (keystorePassword === undefined) {
    if (!problems.some((p) => p.setting.startsWith("STAKEOPS_KEYSTORE_PASSWORD"))) {
      problems.push({ setting: "STAKEOPS_KEYSTORE_PASSWORD", message: "required: set STAKEOPS_KEYSTORE_PASSWORD_FILE to a file holding the service's keystore password" });
    }
  } else if (keystorePassword.length < MIN_SERVICE_PASSWORD_LENGTH) {
    problems.push({ setting: "STAKEOPS_KEYSTORE_PASSWORD", message: `must be at least ${MIN_SERVICE_PASSWORD_LENGTH} characters` });
  }

  const beaconNodeUrls = (raw("BEACON_NODE_URLS") ?? "").split(",").map((u) => u.trim()).filter((u) => u !== "");
  for (const url of beaconNodeUrls) {
    if (!isHttpUrl(url)) problems.push({ setting: "BEACON_NODE_URLS", message: `"${redactUrl(url)}" is not an http(s) URL` });
  }
  const inventorySeconds = integer("STAKEOPS_INVENTORY_INTERVAL_SECONDS", 1, 86_400);
  const statusSeconds = integer("STAKEOPS_STATUS_INTERVAL_SECONDS", 1, 86_400);
  const monitorEnabled = raw("STAKEOPS_MONITOR_ENABLED") ?? (defaultOf("STAKEOPS_MONITOR_ENABLED") as string);
  if (monitorEnabled !== "true" && monitorEnabled !== "false") {
    problems.push({ setting: "STAKEOPS_MONITOR_ENABLED", message: `must be true or false, got "${monitorEnabled}"` });
  }
  const monitorSeconds = integer("STAKEOPS_MONITOR_INTERVAL_SECONDS", 1, 3_600);
  const retentionEpochs = integer("STAKEOPS_MONITOR_RETENTION_EPOCHS", 1, 10_000_000);
  const maxCatchupEpochs = integer("STAKEOPS_MONITOR_MAX_CATCHUP_EPOCHS", 1, 1_000_000);
  const flag = (name: SettingName): boolean => {
    const value = raw(name) ?? (defaultOf(name) as string);
    if (value !== "true" && value !== "false") problems.push({ setting: name, message: `must be true or false, got "${value}"` });
    return value === "true";
  };
  const exitDryRun = flag("STAKEOPS_EXIT_DRY_RUN");
  const exitKillSwitch = flag("STAKEOPS_EXIT_KILL_SWITCH");
  const exitSeconds = integer("STAKEOPS_EXIT_INTERVAL_SECONDS", 1, 86_400);
  const policyFile = raw("STAKEOPS_EXIT_POLICY_FILE");
  const exitPolicy =
    policyFile === undefined
      ? null
      : (attempt("STAKEOPS_EXIT_POLICY_FILE", () => {
          let text: string;
          try {
            text = readFile(policyFile);
          } catch (error) {
            throw new InputError("FILE_UNREADABLE", `cannot read ${policyFile}: ${describeIoError(error)}`, { file: policyFile });
          }
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            throw new InputError("INVALID_JSON", `${policyFile} is not valid JSON`, { file: policyFile });
          }
          return parseExitPolicy(json, policyFile);
        }) ?? null);
  const executionRpcUrl = raw("STAKEOPS_EXECUTION_RPC_URL") ?? null;
  if (executionRpcUrl !== null && !isHttpUrl(executionRpcUrl)) problems.push({ setting: "STAKEOPS_EXECUTION_RPC_URL", message: "must be an http(s) URL" });
  const riskSeconds = integer("STAKEOPS_RISK_INTERVAL_SECONDS", 1, 86_400);
  const doppelgangerWindowEpochs = integer("STAKEOPS_DOPPELGANGER_WINDOW_EPOCHS", 1, 10_000_000);
  // At least two: one silent epoch may be nothing more than a running key missing one duty.
  const migrationOfflineEpochs = integer("STAKEOPS_MIGRATION_OFFLINE_EPOCHS", 2, 1_000);
  const migrationTimeoutEpochs = integer("STAKEOPS_MIGRATION_TIMEOUT_EPOCHS", 3, 100_000);
  if (migrationOfflineEpochs !== undefined && migrationTimeoutEpochs !== undefined && migrationTimeoutEpochs < migrationOfflineEpochs + 1) {
    problems.push({
      setting: "STAKEOPS_MIGRATION_TIMEOUT_EPOCHS",
      message: `must be more than STAKEOPS_MIGRATION_OFFLINE_EPOCHS (${migrationOfflineEpochs}): the last offline epoch is confirmed only once the next one runs`,
    });
  }
  const migrationSeconds = integer("STAKEOPS_MIGRATION_INTERVAL_SECONDS", 1, 3_600);
  const keygenWorkers = raw("STAKEOPS_KEYGEN_WORKERS") === undefined ? undefined : integer("STAKEOPS_KEYGEN_WORKERS", 1, 256);
  const bodyLimitBytes = integer("STAKEOPS_BODY_LIMIT_BYTES", 1024, 1024 * 1024 * 1024);
  const logLevel = raw("STAKEOPS_LOG_LEVEL") ?? "info";
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    problems.push({ setting: "STAKEOPS_LOG_LEVEL", message: `must be one of ${LOG_LEVELS.join(", ")}, got "${logLevel}"` });
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    host,
    port: port as number,
    database: database as DatabaseConfig,
    adminToken: adminToken as string,
    network: network as Network,
    withdrawalCredentials: withdrawalCredentials as Uint8Array,
    depositAmountGwei: depositAmountGwei as number,
    keystorePassword: keystorePassword as string,
    keysDir: resolve(raw("STAKEOPS_KEYS_DIR") ?? "./keys"),
    beaconNodeUrls,
    inventoryIntervalMs: (inventorySeconds as number) * 1000,
    statusIntervalMs: (statusSeconds as number) * 1000,
    exits: { dryRun: exitDryRun, killSwitch: exitKillSwitch, policy: exitPolicy, intervalMs: (exitSeconds as number) * 1000, executionRpcUrl },
    migration: { intervalMs: (migrationSeconds as number) * 1000, offlineEpochs: migrationOfflineEpochs as number, timeoutEpochs: migrationTimeoutEpochs as number },
    monitor: {
      enabled: monitorEnabled === "true",
      intervalMs: (monitorSeconds as number) * 1000,
      retentionEpochs: retentionEpochs as number,
      maxCatchupEpochs: maxCatchupEpochs as number,
    },
    risk: { intervalMs: (riskSeconds as number) * 1000, doppelgangerWindowEpochs: doppelgangerWindowEpochs as number },
    keygenWorkers,
    bodyLimitBytes: bodyLimitBytes as number,
    logLevel: logLevel as LogLevel,
  };
}

export function parseDatabaseUrl(url: string): DatabaseConfig {
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return { kind: "postgres", url };
  const path = url.startsWith("sqlite:") ? url.slice("sqlite:".length) : url.startsWith("file:") ? url.slice("file:".length) : null;
  if (path === null || path === "") {
    throw new ConfigError([{ setting: "DATABASE_URL", message: `"${redactUrl(url)}" is neither sqlite:<path> nor postgres://…` }]);
  }
  return { kind: "sqlite", path: path === ":memory:" ? path : resolve(path) };
}

/** A URL for logs and messages: the password (and token-looking query strings) removed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    parsed.search = parsed.search === "" ? "" : "?***";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}

function readWithdrawalCredentials(raw: (name: SettingName) => string | undefined): Uint8Array {
  const address = raw("STAKEOPS_WITHDRAWAL_ADDRESS");
  const credentials = raw("STAKEOPS_WITHDRAWAL_CREDENTIALS");
  const compounding = (raw("STAKEOPS_COMPOUNDING") ?? "false").toLowerCase();
  if (compounding !== "true" && compounding !== "false") {
    throw new ConfigError([{ setting: "STAKEOPS_COMPOUNDING", message: `must be true or false, got "${compounding}"` }]);
  }
  if (address !== undefined && credentials !== undefined) {
    throw new ConfigError([{ setting: "STAKEOPS_WITHDRAWAL_ADDRESS", message: "set either STAKEOPS_WITHDRAWAL_ADDRESS or STAKEOPS_WITHDRAWAL_CREDENTIALS, not both" }]);
  }
  if (address !== undefined) {
    const bytes = parseAddress(address, { flag: "STAKEOPS_WITHDRAWAL_ADDRESS", requireChecksum: true });
    return addressWithdrawalCredentials(compounding === "true" ? "compounding" : "execution", bytes);
  }
  if (credentials !== undefined) {
    const bytes = parseHex(credentials, { what: "STAKEOPS_WITHDRAWAL_CREDENTIALS", bytes: 32, prefix: "required" });
    if (withdrawalTypeOf(bytes) === null) {
      throw new ConfigError([{ setting: "STAKEOPS_WITHDRAWAL_CREDENTIALS", message: "must start with 0x00, 0x01 or 0x02" }]);
    }
    return bytes;
  }
  throw new ConfigError([
    { setting: "STAKEOPS_WITHDRAWAL_ADDRESS", message: "required: the protocol's withdrawal address (or STAKEOPS_WITHDRAWAL_CREDENTIALS)" },
  ]);
}

function readConfigFile(
  path: string | undefined,
  readFile: (path: string) => string,
  problems: ConfigProblem[],
): Readonly<Record<string, string>> {
  if (path === undefined || path.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFile(path));
  } catch (error) {
    problems.push({ setting: "STAKEOPS_CONFIG_FILE", message: `cannot read ${path} as JSON: ${describeIoError(error)}` });
    return {};
  }
  if (!isJsonObject(parsed)) {
    problems.push({ setting: "STAKEOPS_CONFIG_FILE", message: `${path} must hold a JSON object of settings` });
    return {};
  }
  const known = new Set<string>(SETTINGS.flatMap((s) => ("secret" in s && s.secret ? [s.env, `${s.env}_FILE`] : [s.env])));
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key)) {
      problems.push({ setting: "STAKEOPS_CONFIG_FILE", message: `${path}: unknown setting "${key}"` });
      continue;
    }
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      problems.push({ setting: key, message: `${path}: must be a string, number or boolean` });
      continue;
    }
    values[key] = String(value);
  }
  return values;
}

function defaultOf(name: SettingName): string | undefined {
  const spec = SETTINGS.find((s) => s.env === name);
  return spec !== undefined && "default" in spec ? spec.default : undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
