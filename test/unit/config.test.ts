import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { loadConfig, redactUrl } from "../../src/config/loadConfig.js";
import { SETTINGS } from "../../src/config/settings.js";
import { PROJECT_ROOT } from "../helpers/vectors.js";

const VALID = {
  STAKEOPS_ADMIN_TOKEN: "a".repeat(32),
  STAKEOPS_NETWORK: "hoodi",
  STAKEOPS_WITHDRAWAL_ADDRESS: "0x71C7656EC7ab88b098defB751B7401B5f6d8976F",
  STAKEOPS_KEYSTORE_PASSWORD: "a service password of some length",
};

function problemsOf(env: Record<string, string>, files: Record<string, string> = {}): string[] {
  try {
    loadConfig({ env, readFile: (path) => files[path] ?? (() => { throw Object.assign(new Error("no such file"), { code: "ENOENT" }); })() });
  } catch (error) {
    if (error instanceof ConfigError) return error.details.problems.map((p) => `${p.setting}: ${p.message}`);
    throw error;
  }
  return [];
}

describe("configuration", () => {
  it("reads a minimal environment with documented defaults", () => {
    const config = loadConfig({ env: VALID });
    expect(config).toMatchObject({ host: "127.0.0.1", port: 8080, database: { kind: "sqlite" }, depositAmountGwei: 32_000_000_000, beaconNodeUrls: [], logLevel: "info" });
    expect(config.database).toMatchObject({ path: expect.stringMatching(/data\/stakeops\.db$/) });
    expect(Buffer.from(config.withdrawalCredentials).toString("hex")).toBe("01000000000000000000000071c7656ec7ab88b098defb751b7401b5f6d8976f");
  });

  it("reports every problem at once, naming the setting", () => {
    expect(problemsOf({})).toEqual([
      expect.stringMatching(/^STAKEOPS_ADMIN_TOKEN: required/),
      expect.stringMatching(/^STAKEOPS_NETWORK: choose a network/),
      expect.stringMatching(/^STAKEOPS_WITHDRAWAL_ADDRESS: required/),
      expect.stringMatching(/^STAKEOPS_KEYSTORE_PASSWORD: required/),
    ]);
  });

  it.each([
    [{ STAKEOPS_PORT: "eighty" }, /^STAKEOPS_PORT: must be a whole number/],
    [{ DATABASE_URL: "mysql://x" }, /^DATABASE_URL: .* is neither sqlite:<path> nor postgres/],
    [{ STAKEOPS_LOG_LEVEL: "loud" }, /^STAKEOPS_LOG_LEVEL: must be one of/],
    [{ STAKEOPS_ADMIN_TOKEN: "short" }, /^STAKEOPS_ADMIN_TOKEN: must be at least 24 characters/],
    [{ STAKEOPS_WITHDRAWAL_ADDRESS: "0x71c7656ec7ab88b098defb751b7401b5f6d8976f" }, /not in EIP-55 checksum form/],
    [{ STAKEOPS_WITHDRAWAL_CREDENTIALS: `0x01${"00".repeat(31)}` }, /set either STAKEOPS_WITHDRAWAL_ADDRESS or STAKEOPS_WITHDRAWAL_CREDENTIALS/],
    [{ STAKEOPS_DEPOSIT_AMOUNT_ETH: "64" }, /^STAKEOPS_DEPOSIT_AMOUNT_ETH: .*exactly 32 ETH/],
    [{ STAKEOPS_NETWORK: "goerli" }, /^STAKEOPS_NETWORK: unknown network "goerli"/],
    [{ BEACON_NODE_URLS: "http://127.0.0.1:5052,ftp://user:secret@node" }, /^BEACON_NODE_URLS: "ftp:\/\/user:\*\*\*@node\/?" is not an http\(s\) URL/],
    [{ STAKEOPS_ADMIN_TOKEN_FILE: "/secrets/admin" }, /^STAKEOPS_ADMIN_TOKEN: set either STAKEOPS_ADMIN_TOKEN or STAKEOPS_ADMIN_TOKEN_FILE, not both/],
  ])("refuses %j", (change, pattern) => {
    const problems = problemsOf({ ...VALID, ...change });
    expect(problems).toEqual([expect.stringMatching(pattern)]);
    expect(problems.join("\n")).not.toContain("secret");
  });

  it("takes secrets from *_FILE (one trailing newline trimmed) and reports an unreadable one", () => {
    const { STAKEOPS_ADMIN_TOKEN: _a, STAKEOPS_KEYSTORE_PASSWORD: _p, ...rest } = VALID;
    const config = loadConfig({
      env: { ...rest, STAKEOPS_ADMIN_TOKEN_FILE: "/run/admin", STAKEOPS_KEYSTORE_PASSWORD_FILE: "/run/password" },
      readFile: (path) => ({ "/run/admin": `${"t".repeat(30)}\n`, "/run/password": "p".repeat(20) })[path] ?? "",
    });
    expect(config.adminToken).toBe("t".repeat(30));
    expect(problemsOf({ ...rest, STAKEOPS_ADMIN_TOKEN_FILE: "/run/missing", STAKEOPS_KEYSTORE_PASSWORD: "p".repeat(20) })).toEqual([
      expect.stringMatching(/^STAKEOPS_ADMIN_TOKEN_FILE: cannot read \/run\/missing: ENOENT/),
    ]);
  });

  it("reads a JSON config file, the environment winning, and rejects unknown settings", () => {
    const files = { "/etc/stakeops.json": JSON.stringify({ ...VALID, STAKEOPS_PORT: 9000, STAKEOPS_LOG_LEVEL: "debug" }) };
    const config = loadConfig({ env: { STAKEOPS_CONFIG_FILE: "/etc/stakeops.json", STAKEOPS_LOG_LEVEL: "warn" }, readFile: (p) => files[p as keyof typeof files] ?? "" });
    expect(config).toMatchObject({ port: 9000, logLevel: "warn" });
    expect(problemsOf({ ...VALID, STAKEOPS_CONFIG_FILE: "/c.json" }, { "/c.json": JSON.stringify({ STAKEOPS_PROT: 1 }) })).toEqual([
      expect.stringMatching(/unknown setting "STAKEOPS_PROT"/),
    ]);
  });

  it("command-line overrides win", () => {
    expect(loadConfig({ env: { ...VALID, STAKEOPS_PORT: "1" }, overrides: { STAKEOPS_PORT: "2" } }).port).toBe(2);
  });

  it("takes PostgreSQL URLs and redacts their passwords in messages", () => {
    expect(loadConfig({ env: { ...VALID, DATABASE_URL: "postgres://u:pw@127.0.0.1:5432/db" } }).database).toEqual({ kind: "postgres", url: "postgres://u:pw@127.0.0.1:5432/db" });
    expect(redactUrl("postgres://u:pw@127.0.0.1:5432/db")).toBe("postgres://u:***@127.0.0.1:5432/db");
  });

  it("the README's configuration table lists every setting", () => {
    const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
    for (const setting of SETTINGS) expect(readme, setting.env).toContain(`| \`${setting.env}\``);
  });
});
