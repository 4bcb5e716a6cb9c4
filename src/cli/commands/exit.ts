import { mkdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { Option, type Command } from "commander";
import { KNOWN_NETWORK_NAMES, resolveExitNetwork } from "../../chain/networks.js";
import { networkVoluntaryExitDomain } from "../../chain/signing.js";
import { InputError } from "../../errors.js";
import {
  parseUint,
  serializeSignedExit,
  signVoluntaryExit,
  signedExitFileName,
  verifySignedVoluntaryExit,
  type SignedVoluntaryExitJson,
} from "../../exit/signedExit.js";
import { decryptKeystore, parseKeystore } from "../../keygen/keystore.js";
import { ValidatorKeyDeriver } from "../../keygen/validatorKeys.js";
import { createFileAtomic } from "../../util/atomicFile.js";
import type { CliIo } from "../io.js";
import { readJsonFile } from "../jsonFile.js";
import { readSeed } from "../mnemonicInput.js";
import { addMnemonicSourceOptions, integerOption } from "../options.js";
import { readSecret } from "../secrets.js";

/** Signed exits are not key material but let anyone exit the validator: owner read-only, as the deposit CLI writes them. */
const EXIT_FILE_MODE = 0o400;

interface SignFlags {
  readonly keystore?: string;
  readonly passwordFile?: string;
  readonly mnemonicFile?: string;
  readonly passphraseFile?: string;
  readonly keyIndex?: number;
  readonly validatorIndex: string;
  readonly epoch: string;
  readonly network?: string;
  readonly capellaForkVersion?: string;
  readonly genesisValidatorsRoot?: string;
  readonly out: string;
}

interface SigningKey {
  readonly secretKey: Uint8Array;
  readonly pubkey: Uint8Array;
}

export function registerExitCommands(program: Command, io: CliIo): void {
  const exit = program.command("exit").description("voluntary exits");

  const sign = exit
    .command("sign")
    .description(
      "sign voluntary exits (EIP-7044 domain) for given validator indices, as the deposit CLI's exit-transaction " +
        "commands write them: pre-signed exits for the protocol",
    )
    .option("--keystore <file>", "EIP-2335 keystore of the validator's signing key")
    .option("--password-file <file>", "file holding the keystore password (prompted for on a terminal if absent)");
  addMnemonicSourceOptions(sign)
    .option("--key-index <i>", "with a mnemonic: key index of the first validator (m/12381/3600/i/0/0)", integerOption(0, 2 ** 32 - 1))
    .requiredOption("--validator-index <n[,n…]>", "beacon-chain validator index; with --key-index, a comma list for keys i, i+1, …")
    .option("--epoch <e>", "earliest epoch the exit is valid from", "0")
    .addOption(new Option("--network <name>", "a known network").choices(KNOWN_NETWORK_NAMES))
    .option("--capella-fork-version <0x…>", "another network's Capella fork version")
    .option("--genesis-validators-root <0x…>", "another network's genesis validators root")
    .option("--out <dir>", "output folder (created if missing)", "exit_transactions")
    .action(async (flags: SignFlags) => {
      const network = resolveExitNetwork(flags);
      const domain = networkVoluntaryExitDomain(network);
      const epoch = parseUint(flags.epoch, "--epoch");
      const validatorIndices = flags.validatorIndex.split(",").map((v) => parseUint(v, "--validator-index"));
      if (new Set(validatorIndices).size !== validatorIndices.length) {
        throw new InputError("INVALID_ARGUMENT", "--validator-index lists the same validator twice", {});
      }
      const keys = await signingKeys(flags, validatorIndices.length, io);

      const exits = validatorIndices.map((validatorIndex, k) => {
        const key = keys[k] as SigningKey;
        const signed = signVoluntaryExit(key.secretKey, { epoch, validatorIndex }, domain);
        key.secretKey.fill(0);
        if (!verifySignedVoluntaryExit(signed, key.pubkey, domain)) {
          throw new InputError("INVALID_ARGUMENT", `the exit for validator ${validatorIndex} failed its own verification`, {});
        }
        return signed;
      });
      const files = await writeExits(flags.out, exits, Math.floor(io.now().getTime() / 1000));
      io.stdout.write(`signed ${exits.length} voluntary exit${exits.length > 1 ? "s" : ""} for ${network.name} (epoch ${epoch})\n`);
      for (const file of files) io.stdout.write(`${file}\n`);
    });
}

async function signingKeys(flags: SignFlags, count: number, io: CliIo): Promise<SigningKey[]> {
  const fromMnemonic = flags.mnemonicFile !== undefined || flags.keyIndex !== undefined;
  if (flags.keystore !== undefined) {
    if (fromMnemonic) throw new InputError("INVALID_ARGUMENT", "give either --keystore or --mnemonic-file with --key-index, not both", {});
    if (count !== 1) throw new InputError("INVALID_ARGUMENT", "a keystore holds one key: give one --validator-index", {});
    const keystore = parseKeystore(await readJsonFile(flags.keystore, "keystore"), flags.keystore);
    const password = await readSecret({ file: flags.passwordFile, flag: "--password-file", what: "keystore password" }, io);
    return [await decryptKeystore(keystore, password)];
  }
  if (flags.keyIndex === undefined) {
    throw new InputError("MISSING_INPUT", "give --keystore (with --password-file), or --mnemonic-file with --key-index", {});
  }
  const seed = await readSeed(flags, io);
  const deriver = new ValidatorKeyDeriver(seed);
  seed.fill(0);
  const start = flags.keyIndex;
  return Array.from({ length: count }, (_, k) => {
    const keys = deriver.derive(start + k);
    return { secretKey: keys.signingSecretKey, pubkey: keys.signingPubkey };
  });
}

async function writeExits(folder: string, exits: readonly SignedVoluntaryExitJson[], timestamp: number): Promise<string[]> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  try {
    for (const signed of exits) {
      const file = join(folder, signedExitFileName(Number(signed.message.validator_index), timestamp));
      await createFileAtomic(file, serializeSignedExit(signed), { mode: EXIT_FILE_MODE });
      written.push(file);
    }
  } catch (error) {
    await Promise.all(written.map((file) => unlink(file).catch(() => undefined)));
    throw error;
  }
  return written;
}
