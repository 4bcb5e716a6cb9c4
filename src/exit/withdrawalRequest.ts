/**
 * EIP-7002: a validator with execution-address credentials (0x01, 0x02) can be exited from the
 * execution layer by a transaction from its withdrawal address to the withdrawal request contract,
 * paying the contract's current fee. When the service holds no way to sign an exit, it produces
 * this request for the protocol to send: the contract address, the 56-byte calldata (pubkey ‖
 * amount as 8 big-endian bytes; amount 0 means a full exit) and the fee, which the contract
 * answers to a call with no data (read through STAKEOPS_EXECUTION_RPC_URL when one is set).
 */
import { endpointUrl, exchange, httpEndpoint } from "../util/http.js";
import { parseHex, toPrefixedHex } from "../util/hex.js";

export const WITHDRAWAL_REQUEST_CONTRACT = "0x00000961Ef480Eb55e80D19ad83579A64c007002";

export interface WithdrawalRequest {
  readonly to: string;
  /** 0x + 112 hex digits: the pubkey, then the amount in Gwei as 8 big-endian bytes. */
  readonly calldata: string;
  readonly amountGwei: string;
  /** The fee in wei (decimal), or null when no execution node was configured to read it. */
  readonly feeWei: string | null;
  readonly note: string;
}

export function withdrawalRequestCalldata(pubkey: string, amountGwei: bigint = 0n): string {
  const key = parseHex(pubkey, { what: "validator pubkey", bytes: 48, prefix: "required" });
  const amount = Buffer.alloc(8);
  amount.writeBigUInt64BE(amountGwei);
  return toPrefixedHex(Buffer.concat([key, amount]));
}

export function fullExitRequest(pubkey: string, feeWei: bigint | null): WithdrawalRequest {
  return {
    to: WITHDRAWAL_REQUEST_CONTRACT,
    calldata: withdrawalRequestCalldata(pubkey, 0n),
    amountGwei: "0",
    feeWei: feeWei === null ? null : feeWei.toString(),
    note:
      feeWei === null
        ? "send from the validator's withdrawal address with value ≥ the contract's current fee (an eth_call to the contract with empty data returns it); set STAKEOPS_EXECUTION_RPC_URL to have it filled in"
        : "send from the validator's withdrawal address with this value (the fee rises with queued requests: re-read it if the transaction waits)",
  };
}

/** The contract's current fee, by eth_call with empty data to the execution node at `url`. */
export async function readWithdrawalRequestFee(url: string, signal?: AbortSignal): Promise<bigint | null> {
  const endpoint = httpEndpoint(url, "STAKEOPS_EXECUTION_RPC_URL");
  const outcome = await exchange({
    url: endpointUrl(endpoint, ""),
    method: "POST",
    headers: endpoint.headers,
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_call", params: [{ to: WITHDRAWAL_REQUEST_CONTRACT, data: "0x" }, "latest"] }),
    timeoutMs: 10_000,
    ...(signal === undefined ? {} : { signal }),
  });
  if (outcome.kind !== "answered" || outcome.status !== 200) return null;
  try {
    const json = JSON.parse(outcome.body) as { result?: unknown };
    return typeof json.result === "string" && /^0x[0-9a-fA-F]{1,64}$/.test(json.result) ? BigInt(json.result) : null;
  } catch {
    return null;
  }
}
