/**
 * Deposit data entries as the deposit CLI writes them in `deposit_data-<unix ts>.json`: the signed
 * DepositData fields, both hash-tree roots, the network, and the CLI version, in that order, hex
 * without 0x, amount in Gwei as a JSON number.
 */
import { ssz } from "@lodestar/types";
import type { Network } from "../chain/networks.js";
import { computeSigningRoot, depositDomain } from "../chain/signing.js";
import { bls } from "../crypto/bls.js";
import { toHex } from "../util/hex.js";
import { pythonJsonDumps } from "../util/pythonJson.js";

/**
 * Written in `deposit_cli_version`. Consumers (the Launchpad among them) read it as the version of
 * the deposit-data format rather than of a particular program, and compare it against a minimum;
 * stakeops writes the format of ethstaker-deposit-cli at this version.
 */
export const DEPOSIT_CLI_VERSION = "1.2.2";

export interface DepositDataEntry {
  readonly pubkey: string;
  readonly withdrawal_credentials: string;
  readonly amount: number;
  readonly signature: string;
  readonly deposit_message_root: string;
  readonly deposit_data_root: string;
  readonly fork_version: string;
  readonly network_name: string;
  readonly deposit_cli_version: string;
}

export interface DepositInput {
  readonly secretKey: Uint8Array;
  readonly withdrawalCredentials: Uint8Array;
  readonly amountGwei: number;
  readonly network: Network;
}

export function buildDepositDataEntry(input: DepositInput): DepositDataEntry {
  const secretKey = bls.SecretKey.fromBytes(input.secretKey);
  const pubkey = secretKey.toPublicKey().toBytes();
  const message = { pubkey, withdrawalCredentials: input.withdrawalCredentials, amount: input.amountGwei };
  const signingRoot = computeSigningRoot(ssz.phase0.DepositMessage, message, depositDomain(input.network.genesisForkVersion));
  const signature = secretKey.sign(signingRoot).toBytes();
  return {
    pubkey: toHex(pubkey),
    withdrawal_credentials: toHex(input.withdrawalCredentials),
    amount: input.amountGwei,
    signature: toHex(signature),
    deposit_message_root: toHex(ssz.phase0.DepositMessage.hashTreeRoot(message)),
    deposit_data_root: toHex(ssz.phase0.DepositData.hashTreeRoot({ ...message, signature })),
    fork_version: toHex(input.network.genesisForkVersion),
    network_name: input.network.name,
    deposit_cli_version: DEPOSIT_CLI_VERSION,
  };
}

/** The file's bytes: a JSON array written like Python's json.dump (the deposit CLI), no trailing newline. */
export function serializeDepositDataFile(entries: readonly DepositDataEntry[]): string {
  return pythonJsonDumps(entries.map((entry) => ({ ...entry })));
}

export function depositDataFileName(unixSeconds: number): string {
  return `deposit_data-${unixSeconds}.json`;
}
