import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { createApp } from "../../app.js";
import { loadConfig } from "../../config/loadConfig.js";
import type { SettingName } from "../../config/settings.js";
import type { CliIo } from "../io.js";
import { integerOption } from "../options.js";

/**
 * Settings `--dev` fills in when they are not set: a local instance on hoodi with throw-away
 * secrets generated once under ./data/dev. The withdrawal address is a placeholder; never deposit
 * with keys a dev instance made.
 */
const DEV_WITHDRAWAL_ADDRESS = "0x0000000000000000000000000000000000000001";

export function registerServeCommand(program: Command, io: CliIo): void {
  program
    .command("serve")
    .description("run the service: operator registry, key custody and validator clients over the HTTP API (see README: configuration)")
    .option("--host <host>", "address to listen on (STAKEOPS_HOST, default 127.0.0.1)")
    .option("--port <port>", "port to listen on (STAKEOPS_PORT, default 8080)", integerOption(0, 65535))
    .option("--dev", "fill unset settings for a local trial: hoodi, placeholder withdrawal address, secrets generated in ./data/dev")
    .action(async (flags: { host?: string; port?: number; dev?: boolean }) => {
      const env = flags.dev === true ? { ...devDefaults(io), ...io.env } : io.env;
      const overrides: Partial<Record<SettingName, string>> = {
        ...(flags.host === undefined ? {} : { STAKEOPS_HOST: flags.host }),
        ...(flags.port === undefined ? {} : { STAKEOPS_PORT: String(flags.port) }),
      };
      const config = loadConfig({ env, overrides });
      const app = await createApp(config);
      const address = await app.start();
      io.stderr.write(`stakeops serving on ${address} (network ${config.network.name}, ${config.database.kind} database)\n`);
      await new Promise<void>((resolvePromise) => {
        if (io.signal === undefined || io.signal.aborted) return resolvePromise();
        io.signal.addEventListener("abort", () => resolvePromise(), { once: true });
      });
      await app.stop();
      io.stderr.write("stakeops stopped\n");
    });
}

function devDefaults(io: CliIo): Record<string, string> {
  const folder = resolve("data", "dev");
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const secret = (name: string): string => {
    const file = join(folder, name);
    if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
    return file;
  };
  const adminTokenFile = secret("admin-token");
  io.stderr.write(
    `dev mode: admin token in ${adminTokenFile}; withdrawal address ${DEV_WITHDRAWAL_ADDRESS} is a placeholder, never deposit with these keys\n`,
  );
  return {
    STAKEOPS_NETWORK: "hoodi",
    STAKEOPS_WITHDRAWAL_ADDRESS: DEV_WITHDRAWAL_ADDRESS,
    STAKEOPS_ADMIN_TOKEN_FILE: adminTokenFile,
    STAKEOPS_KEYSTORE_PASSWORD_FILE: secret("keystore-password"),
    STAKEOPS_KEYS_DIR: resolve("data", "dev", "keys"),
  };
}
