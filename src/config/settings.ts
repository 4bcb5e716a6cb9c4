/**
 * Every setting of `stakeops serve`, in one table: the environment variable, its default, whether
 * it is a secret (then `<NAME>_FILE` may name a file holding it instead), and what it does. The
 * README's configuration table is checked against this list (test/unit/config.test.ts).
 */
export interface SettingSpec {
  readonly env: string;
  readonly description: string;
  readonly default?: string;
  /** Secrets may come from `<env>_FILE`, are never logged and never echoed in errors. */
  readonly secret?: boolean;
}

export const SETTINGS = [
  { env: "STAKEOPS_HOST", default: "127.0.0.1", description: "Address the HTTP API listens on (`--host`)." },
  { env: "STAKEOPS_PORT", default: "8080", description: "Port the HTTP API listens on (`--port`)." },
  {
    env: "DATABASE_URL",
    default: "sqlite:./data/stakeops.db",
    description: "`sqlite:<path>` (embedded, the default) or `postgres://user@host:port/db`.",
  },
  { env: "STAKEOPS_ADMIN_TOKEN", secret: true, description: "Admin bearer token (at least 24 characters). Required." },
  {
    env: "STAKEOPS_NETWORK",
    description: "mainnet, hoodi, sepolia or holesky. Or set STAKEOPS_FORK_VERSION for another network. Required.",
  },
  { env: "STAKEOPS_FORK_VERSION", description: "Genesis fork version (0x…, 4 bytes) of a network not known by name." },
  { env: "STAKEOPS_NETWORK_NAME", description: "network_name written with STAKEOPS_FORK_VERSION (default: custom)." },
  {
    env: "STAKEOPS_WITHDRAWAL_ADDRESS",
    description: "The protocol's withdrawal address (EIP-55); keys get 0x01 credentials to it (0x02 with STAKEOPS_COMPOUNDING=true).",
  },
  { env: "STAKEOPS_COMPOUNDING", default: "false", description: "true: 0x02 compounding credentials to STAKEOPS_WITHDRAWAL_ADDRESS." },
  {
    env: "STAKEOPS_WITHDRAWAL_CREDENTIALS",
    description: "The protocol's withdrawal credentials (0x…, 32 bytes), instead of STAKEOPS_WITHDRAWAL_ADDRESS.",
  },
  { env: "STAKEOPS_DEPOSIT_AMOUNT_ETH", default: "32", description: "Deposit amount for keys the service generates or takes into custody." },
  {
    env: "STAKEOPS_KEYSTORE_PASSWORD",
    secret: true,
    description: "The service's own password: custody keystores are encrypted with it, validator-client tokens with a key derived from it. Required; use STAKEOPS_KEYSTORE_PASSWORD_FILE.",
  },
  { env: "STAKEOPS_KEYS_DIR", default: "./keys", description: "Custody folder: keystores live in `<dir>/<operator name>/`." },
  { env: "BEACON_NODE_URLS", description: "Comma-separated beacon node URLs; enables on-chain checks and key status updates." },
  { env: "STAKEOPS_INVENTORY_INTERVAL_SECONDS", default: "60", description: "How often validator clients' key inventories are polled." },
  { env: "STAKEOPS_STATUS_INTERVAL_SECONDS", default: "60", description: "How often registered keys' on-chain status is refreshed (with a beacon node)." },
  { env: "STAKEOPS_MONITOR_ENABLED", default: "true", description: "With a beacon node: run the epoch monitor (attestation, proposal and sync performance per operator)." },
  { env: "STAKEOPS_MONITOR_INTERVAL_SECONDS", default: "6", description: "How often the monitor looks for newly settled epochs (half a mainnet slot)." },
  {
    env: "STAKEOPS_MONITOR_RETENTION_EPOCHS",
    default: "1575",
    description: "Per-validator and per-operator results kept, in epochs (1575 = 7 days on mainnet); older ones are deleted.",
  },
  {
    env: "STAKEOPS_MONITOR_MAX_CATCHUP_EPOCHS",
    default: "225",
    description: "After downtime, epochs caught up at most (225 = one day on mainnet); older missed epochs are recorded as skipped.",
  },
  { env: "STAKEOPS_EXIT_DRY_RUN", default: "true", description: "Automated and manual exits only decide and log; set to false to sign and submit exits." },
  { env: "STAKEOPS_EXIT_KILL_SWITCH", default: "false", description: "true: no exit of any kind, automated or manual." },
  { env: "STAKEOPS_EXIT_POLICY_FILE", description: "JSON exit policy (rules, limits, guards); one set with `PUT /api/v1/exit-policy` wins. Without either, nobody is exited." },
  { env: "STAKEOPS_EXIT_INTERVAL_SECONDS", default: "12", description: "How often the exit policy is applied to newly processed epochs and submitted exits are tracked." },
  { env: "STAKEOPS_EXECUTION_RPC_URL", description: "Optional execution-layer JSON-RPC URL, only to read the EIP-7002 withdrawal request fee." },
  {
    env: "STAKEOPS_RISK_INTERVAL_SECONDS",
    default: "60",
    description: "With a beacon node: how often the chain-side slashing-risk checks run (doppelganger liveness of keys that should be offline, slashed keys).",
  },
  {
    env: "STAKEOPS_DOPPELGANGER_WINDOW_EPOCHS",
    default: "1575",
    description: "A key removed from its validator client is checked for liveness on chain (doppelganger) for this many epochs (1575 = 7 days on mainnet).",
  },
  {
    env: "STAKEOPS_MIGRATION_OFFLINE_EPOCHS",
    default: "2",
    description: "Key migrations: ended epochs a removed key must be seen offline (not live) before it is imported elsewhere; at least 2.",
  },
  {
    env: "STAKEOPS_MIGRATION_TIMEOUT_EPOCHS",
    default: "10",
    description: "Key migrations: epochs after the removal within which the key must be confirmed offline, else the migration aborts (key in no client).",
  },
  { env: "STAKEOPS_MIGRATION_INTERVAL_SECONDS", default: "12", description: "How often key migrations are advanced (keep it well under an epoch: older nodes answer liveness only for the last two)." },
  { env: "STAKEOPS_KEYGEN_WORKERS", description: "Worker threads for key generation (default: one per core)." },
  { env: "STAKEOPS_BODY_LIMIT_BYTES", default: "33554432", description: "Largest request body accepted (default 32 MiB: 10,000 deposit-data entries take ~7 MiB)." },
  { env: "STAKEOPS_LOG_LEVEL", default: "info", description: "fatal, error, warn, info, debug or trace." },
  { env: "STAKEOPS_CONFIG_FILE", description: "Optional JSON file with any of these settings by name; the environment wins." },
] as const satisfies readonly SettingSpec[];

export type SettingName = (typeof SETTINGS)[number]["env"];
