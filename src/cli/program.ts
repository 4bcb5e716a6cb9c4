/**
 * The `stakeops` command line: builds the commander program and maps outcomes to exit codes.
 * 0 success, 1 a failure or problems found, 2 a usage error (unknown flag, missing argument).
 */
import { Command, CommanderError } from "commander";
import { isStakeopsError } from "../errors.js";
import { registerDepositCommands } from "./commands/deposit.js";
import { registerExitCommands } from "./commands/exit.js";
import { registerKeysCommands } from "./commands/keys.js";
import { registerKeystoreCommands } from "./commands/keystore.js";
import { registerMnemonicCommands } from "./commands/mnemonic.js";
import { registerServeCommand } from "./commands/serve.js";
import type { CliIo } from "./io.js";
import { VERSION } from "../version.js";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Commands report "ran, but found problems" through this instead of throwing. */
export interface CommandOutcome {
  exitCode: number;
}

export function buildProgram(io: CliIo, outcome: CommandOutcome): Command {
  const program = new Command("stakeops")
    .description("Validator keys, deposit data, signed exits and the operator registry service for Ethereum staking")
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride();
  program.configureHelp({ sortSubcommands: false, showGlobalOptions: false });
  registerMnemonicCommands(program, io);
  registerKeysCommands(program, io);
  registerDepositCommands(program, io, outcome);
  registerKeystoreCommands(program, io, outcome);
  registerExitCommands(program, io);
  registerServeCommand(program, io);
  // Sub-commands inherit exit override and output so that usage errors anywhere map to EXIT_USAGE.
  for (const command of allCommands(program)) {
    command.exitOverride().configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  }
  return program;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const outcome: CommandOutcome = { exitCode: EXIT_OK };
  const program = buildProgram(io, outcome);
  if (argv.length === 0) {
    io.stdout.write(program.helpInformation());
    return EXIT_OK;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return outcome.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (isStakeopsError(error)) {
      io.stderr.write(`error: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr.write(`error: unexpected failure (please report it): ${detail}\n`);
    return EXIT_FAILURE;
  }
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((child) => [child, ...allCommands(child)]);
}
