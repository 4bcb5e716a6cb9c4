/**
 * Secrets (mnemonic, passphrase, passwords) come from files or, on a terminal, from a hidden prompt;
 * never from argv (visible in `ps` and shell history) and never echoed.
 */
import { readFile, stat } from "node:fs/promises";
import { InputError } from "../errors.js";
import { describeIoError } from "../util/atomicFile.js";
import { canPrompt, type CliIo } from "./io.js";

export interface SecretSource {
  /** The file flag's value, if given. */
  readonly file: string | undefined;
  /** The flag, for messages: "--password-file". */
  readonly flag: string;
  /** What it is, for prompts and messages: "keystore password". */
  readonly what: string;
  /** Ask twice on a terminal (new passwords). */
  readonly confirm?: boolean;
  /** May be left empty (the BIP39 passphrase). */
  readonly optional?: boolean;
}

export async function readSecret(source: SecretSource, io: CliIo): Promise<string> {
  if (source.file !== undefined) return readSecretFile(source.file, source, io);
  if (source.optional === true) return "";
  if (!canPrompt(io)) {
    throw new InputError(
      "MISSING_INPUT",
      `${source.flag} is required: give the ${source.what} in a file (there is no terminal to ask on)`,
      { flag: source.flag },
    );
  }
  const value = await promptHidden(`${capitalize(source.what)}: `, io);
  if (value === "") throw new InputError("MISSING_INPUT", `no ${source.what} entered`, { flag: source.flag });
  if (source.confirm === true && (await promptHidden(`Repeat the ${source.what}: `, io)) !== value) {
    throw new InputError("INVALID_ARGUMENT", `the two ${source.what} entries differ`, { flag: source.flag });
  }
  return value;
}

async function readSecretFile(file: string, source: SecretSource, io: CliIo): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
    const mode = (await stat(file)).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      io.stderr.write(`warning: ${source.flag} ${file} is readable by other users (mode ${mode.toString(8)}); chmod 600 it\n`);
    }
  } catch (error) {
    throw new InputError("FILE_UNREADABLE", `cannot read ${source.flag} ${file}: ${describeIoError(error)}`, {
      flag: source.flag,
    });
  }
  // Editors add one final newline; it is not part of the secret.
  const value = text.replace(/\r?\n$/, "");
  if (value === "" && source.optional !== true) {
    throw new InputError("MISSING_INPUT", `${source.flag} ${file} is empty`, { flag: source.flag });
  }
  return value;
}

/** Reads one line from a raw-mode terminal without echoing it. */
function promptHidden(question: string, io: CliIo): Promise<string> {
  const stdin = io.stdin;
  // Raw mode before the question: an answer typed or pasted the moment it appears must not echo.
  stdin.setRawMode?.(true);
  io.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (error: Error | null): void => {
      stdin.removeListener("data", onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write("\n");
      if (error === null) resolve(value);
      else reject(error);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const char of chunk.toString("utf8")) {
        if (char === "\r" || char === "\n" || char === "\u0004") return finish(null);
        if (char === "\u0003") return finish(new InputError("MISSING_INPUT", "interrupted", {}));
        if (char === "\u007f" || char === "\b") value = [...value].slice(0, -1).join("");
        else value += char;
      }
    };
    stdin.resume();
    stdin.on("data", onData);
  });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
