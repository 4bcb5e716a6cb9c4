import { type Command } from "commander";
import { isStakeopsError } from "../../errors.js";
import { decryptKeystore, parseKeystore } from "../../keygen/keystore.js";
import { toHex } from "../../util/hex.js";
import type { CliIo } from "../io.js";
import { readJsonFile } from "../jsonFile.js";
import { EXIT_FAILURE, type CommandOutcome } from "../program.js";
import { readSecret } from "../secrets.js";

export function registerKeystoreCommands(program: Command, io: CliIo, outcome: CommandOutcome): void {
  const keystore = program.command("keystore").description("EIP-2335 keystores");

  keystore
    .command("verify")
    .description("decrypt keystores with a password and check that each holds the key its pubkey names")
    .argument("<files...>", "keystore-*.json files")
    .option("--password-file <file>", "file holding the keystore password (prompted for on a terminal if absent)")
    .action(async (files: string[], flags: { passwordFile?: string }) => {
      const password = await readSecret({ file: flags.passwordFile, flag: "--password-file", what: "keystore password" }, io);
      for (const file of files) {
        try {
          const parsed = parseKeystore(await readJsonFile(file, "keystore"), file);
          const { pubkey, secretKey } = await decryptKeystore(parsed, password);
          secretKey.fill(0);
          io.stdout.write(`ok: ${file}: pubkey 0x${toHex(pubkey)} path ${parsed.path}\n`);
        } catch (error) {
          if (!isStakeopsError(error)) throw error;
          outcome.exitCode = EXIT_FAILURE;
          const message = error.message.startsWith(file) ? error.message : `${file}: ${error.message}`;
          io.stdout.write(`failed: ${message}\n`);
        }
      }
    });
}
