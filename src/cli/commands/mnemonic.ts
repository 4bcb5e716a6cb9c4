import { Option, type Command } from "commander";
import { createFileAtomic } from "../../util/atomicFile.js";
import { MNEMONIC_LANGUAGE_NAMES, checkMnemonic, newMnemonic, type MnemonicLanguage } from "../../keygen/mnemonic.js";
import type { CliIo } from "../io.js";
import { readSecret } from "../secrets.js";

export function registerMnemonicCommands(program: Command, io: CliIo): void {
  const mnemonic = program.command("mnemonic").description("BIP39 mnemonics");

  mnemonic
    .command("new")
    .description("create a new mnemonic (printed on stdout unless --out is given)")
    .addOption(new Option("--language <language>", "BIP39 word list").choices(MNEMONIC_LANGUAGE_NAMES).default("english"))
    .addOption(new Option("--words <n>", "number of words").choices(["12", "15", "18", "21", "24"]).default("24"))
    .option("--out <file>", "write the mnemonic to this new file (mode 0600) instead of stdout")
    .action(async (flags: { language: MnemonicLanguage; words: string; out?: string }) => {
      const phrase = newMnemonic(flags.language, Number(flags.words));
      if (flags.out === undefined) {
        io.stdout.write(`${phrase}\n`);
        io.stderr.write("Write this mnemonic down and keep it offline: it can recreate every validator key derived from it.\n");
        return;
      }
      await createFileAtomic(flags.out, `${phrase}\n`, { mode: 0o600 });
      io.stderr.write(`wrote a ${flags.words}-word ${flags.language} mnemonic to ${flags.out} (mode 0600)\n`);
    });

  mnemonic
    .command("check")
    .description("check a mnemonic's words and checksum without printing it")
    .option("--mnemonic-file <file>", "file holding the mnemonic (prompted for on a terminal if absent)")
    .action(async (flags: { mnemonicFile?: string }) => {
      const checked = checkMnemonic(await readSecret({ file: flags.mnemonicFile, flag: "--mnemonic-file", what: "mnemonic" }, io));
      io.stdout.write(`ok: valid ${checked.wordCount}-word ${checked.language} mnemonic\n`);
    });
}
