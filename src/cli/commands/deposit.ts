import { type Command } from "commander";
import { parseAddress } from "../../chain/address.js";
import { resolveDepositNetwork } from "../../chain/networks.js";
import { parseEthAmount } from "../../deposit/amount.js";
import { formatDepositProblem, verifyDepositData } from "../../deposit/verifyDepositData.js";
import type { CliIo } from "../io.js";
import { readJsonFile } from "../jsonFile.js";
import { addDepositNetworkOptions, type DepositNetworkFlags } from "../options.js";
import { EXIT_FAILURE, type CommandOutcome } from "../program.js";

interface VerifyFlags extends DepositNetworkFlags {
  readonly withdrawalAddress?: string;
  readonly amount?: string;
  readonly json?: boolean;
}

export function registerDepositCommands(program: Command, io: CliIo, outcome: CommandOutcome): void {
  const deposit = program.command("deposit").description("deposit data files");

  const verify = deposit
    .command("verify")
    .description(
      "check a deposit_data file from any tool: hex lengths, network, withdrawal credentials, amount, " +
        "deposit_message_root, deposit_data_root, BLS signature, duplicate pubkeys",
    )
    .argument("<file>", "deposit_data-*.json");
  addDepositNetworkOptions(verify)
    .option("--withdrawal-address <0x…>", "every deposit must pay out to this execution address (0x01/0x02)")
    .option("--amount <eth>", "every deposit must be exactly this many ETH (default: the deposit CLI's rules)")
    .option("--json", "print the result as JSON")
    .action(async (file: string, flags: VerifyFlags) => {
      const network = resolveDepositNetwork(flags);
      const expectations = {
        network,
        ...(flags.withdrawalAddress === undefined
          ? {}
          : { withdrawalAddress: parseAddress(flags.withdrawalAddress, { flag: "--withdrawal-address", requireChecksum: false }) }),
        ...(flags.amount === undefined ? {} : { amountGwei: parseEthAmount(flags.amount) }),
      };
      const json = await readJsonFile(file, "deposit data file");
      const result = verifyDepositData(json, expectations);
      if (result.problems.length > 0) outcome.exitCode = EXIT_FAILURE;
      if (flags.json === true) {
        io.stdout.write(
          `${JSON.stringify({ file, network: network.name, entries: result.entries, valid: result.valid.length, problems: result.problems }, null, 2)}\n`,
        );
        return;
      }
      for (const problem of result.problems) io.stdout.write(`${file}: ${formatDepositProblem(problem)}\n`);
      const failed = new Set(result.problems.map((p) => p.entry)).size;
      io.stdout.write(
        result.problems.length === 0
          ? `ok: ${result.entries} deposit${result.entries === 1 ? "" : "s"} verified for ${network.name}\n`
          : `failed: ${result.problems.length} problem${result.problems.length === 1 ? "" : "s"} in ${failed} of ${result.entries} entries\n`,
      );
    });
}
