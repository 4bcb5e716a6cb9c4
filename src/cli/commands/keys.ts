import { Option, type Command } from "commander";
import { parseAddress, toChecksumAddress } from "../../chain/address.js";
import { resolveDepositNetwork } from "../../chain/networks.js";
import { DEPOSIT_AMOUNT_32_ETH_GWEI, formatGweiAsEth, parseEthAmount } from "../../deposit/amount.js";
import { assertAmountAllowed } from "../../deposit/withdrawalCredentials.js";
import { InputError } from "../../errors.js";
import { generateKeys } from "../../keygen/generateKeys.js";
import type { WithdrawalSpec } from "../../keygen/keyJob.js";
import type { KdfName } from "../../keygen/keystore.js";
import { assertPasswordStrength } from "../../keygen/keystore.js";
import type { CliIo } from "../io.js";
import { readSeed } from "../mnemonicInput.js";
import { addDepositNetworkOptions, addMnemonicSourceOptions, integerOption, type DepositNetworkFlags } from "../options.js";
import { createProgress } from "../progress.js";
import { readSecret } from "../secrets.js";

interface GenerateFlags extends DepositNetworkFlags {
  readonly mnemonicFile?: string;
  readonly passphraseFile?: string;
  readonly count: number;
  readonly startIndex: number;
  readonly withdrawalAddress?: string;
  readonly compounding?: boolean;
  readonly blsWithdrawal?: boolean;
  readonly amount?: string;
  readonly passwordFile?: string;
  readonly kdf: KdfName;
  readonly out: string;
  readonly workers?: number;
}

export function registerKeysCommands(program: Command, io: CliIo): void {
  const keys = program.command("keys").description("validator keys");

  const generate = keys
    .command("generate")
    .description("derive validator keys from a mnemonic: EIP-2335 keystores and a deposit data file, as the deposit CLI writes them");
  addMnemonicSourceOptions(generate)
    .requiredOption("--count <n>", "number of validators", integerOption(1, 2 ** 32))
    .option("--start-index <i>", "first validator index in the key tree (m/12381/3600/i/0/0)", integerOption(0, 2 ** 32 - 1), 0);
  addDepositNetworkOptions(generate)
    .option("--withdrawal-address <0x…>", "execution address for 0x01 withdrawal credentials (EIP-55 checksummed)")
    .option("--compounding", "0x02 compounding credentials to --withdrawal-address (Electra)")
    .option("--bls-withdrawal", "0x00 BLS withdrawal credentials (from the mnemonic's withdrawal key)")
    .option("--amount <eth>", "deposit amount in ETH: 32, or 1 to 2048 with --compounding")
    .option("--password-file <file>", "file holding the keystore password (prompted for on a terminal if absent)")
    .addOption(new Option("--kdf <kdf>", "keystore key derivation function").choices(["scrypt", "pbkdf2"]).default("scrypt"))
    .option("--out <dir>", "output folder (created if missing; must hold no files)", "keys")
    .option("--workers <n>", "worker threads (default: one per core)", integerOption(1, 256))
    .action(async (flags: GenerateFlags) => {
      // Every flag is checked before any secret is asked for or any work starts.
      const network = resolveDepositNetwork(flags);
      const withdrawal = withdrawalSpec(flags);
      const amountGwei = flags.amount === undefined ? DEPOSIT_AMOUNT_32_ETH_GWEI : parseEthAmount(flags.amount);
      assertAmountAllowed(withdrawal.type, amountGwei);

      const seed = await readSeed(flags, io);
      const password = await readSecret(
        { file: flags.passwordFile, flag: "--password-file", what: "keystore password", confirm: true },
        io,
      );
      assertPasswordStrength(password);

      const result = await generateKeys(
        {
          seed,
          spec: { password, kdf: flags.kdf, network, withdrawal, amountGwei },
          startIndex: flags.startIndex,
          count: flags.count,
          outDir: flags.out,
          ...(flags.workers === undefined ? {} : { workers: flags.workers }),
        },
        {
          now: io.now,
          onProgress: createProgress(io.stderr, "keystores"),
          ...(io.signal === undefined ? {} : { signal: io.signal }),
        },
      );
      seed.fill(0);
      const last = flags.startIndex + flags.count - 1;
      io.stdout.write(
        `generated ${flags.count} validator key${flags.count > 1 ? "s" : ""} (indices ${flags.startIndex}..${last}) for ${network.name}, ` +
          `${formatGweiAsEth(amountGwei)} ETH each, withdrawal credentials ${describeWithdrawal(withdrawal)}\n`,
      );
      for (const file of result.keystoreFiles) io.stdout.write(`${file}\n`);
      io.stdout.write(`${result.depositDataFile}\n`);
    });
}

/** The CLI offers 0x00 from the mnemonic, or 0x01/0x02 to an address (fixed credentials are for the service). */
type CliWithdrawal = Exclude<WithdrawalSpec, { type: "credentials" }>;

function withdrawalSpec(flags: GenerateFlags): CliWithdrawal {
  if (flags.blsWithdrawal === true) {
    if (flags.withdrawalAddress !== undefined || flags.compounding === true) {
      throw new InputError("INVALID_ARGUMENT", "--bls-withdrawal cannot be combined with --withdrawal-address or --compounding", {});
    }
    return { type: "bls" };
  }
  if (flags.withdrawalAddress === undefined) {
    throw new InputError(
      "MISSING_INPUT",
      "give --withdrawal-address 0x… (0x01 credentials; add --compounding for 0x02), or --bls-withdrawal for 0x00 credentials",
      {},
    );
  }
  const address = parseAddress(flags.withdrawalAddress, { flag: "--withdrawal-address", requireChecksum: true });
  return { type: flags.compounding === true ? "compounding" : "execution", address };
}

function describeWithdrawal(spec: CliWithdrawal): string {
  return spec.type === "bls" ? "0x00 (BLS)" : `${spec.type === "compounding" ? "0x02" : "0x01"} to ${toChecksumAddress(spec.address)}`;
}
