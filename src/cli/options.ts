/** Option parsing shared by several commands. */
import { InvalidArgumentError, Option, type Command } from "commander";
import { KNOWN_NETWORK_NAMES } from "../chain/networks.js";

export function integerOption(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^(0|[1-9][0-9]*)$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return Number(value);
  };
}

export function addDepositNetworkOptions(command: Command): Command {
  return command
    .addOption(new Option("--network <name>", "a known network").choices(KNOWN_NETWORK_NAMES))
    .option("--fork-version <0x…>", "another network's genesis fork version (4 bytes)")
    .option("--network-name <name>", "network_name to write with --fork-version (default: custom)");
}

export interface DepositNetworkFlags {
  readonly network?: string;
  readonly forkVersion?: string;
  readonly networkName?: string;
}

export function addMnemonicSourceOptions(command: Command): Command {
  return command
    .option("--mnemonic-file <file>", "file holding the BIP39 mnemonic (prompted for on a terminal if absent)")
    .option("--passphrase-file <file>", "file holding the optional BIP39 passphrase (the \"25th word\")");
}
