import { checkMnemonic, mnemonicToSeed } from "../keygen/mnemonic.js";
import type { CliIo } from "./io.js";
import { readSecret } from "./secrets.js";

export interface MnemonicFlags {
  readonly mnemonicFile?: string;
  readonly passphraseFile?: string;
}

/** The seed of the mnemonic (and passphrase) given by file or typed at the terminal. */
export async function readSeed(flags: MnemonicFlags, io: CliIo): Promise<Uint8Array> {
  const mnemonic = checkMnemonic(await readSecret({ file: flags.mnemonicFile, flag: "--mnemonic-file", what: "mnemonic" }, io));
  const passphrase = await readSecret(
    { file: flags.passphraseFile, flag: "--passphrase-file", what: "BIP39 passphrase", optional: true },
    io,
  );
  return mnemonicToSeed(mnemonic, passphrase);
}
