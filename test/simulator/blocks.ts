/**
 * Blocks of the simulated chain as @lodestar/types values, so that JSON (toJson) and SSZ
 * (serialize) come from the same types a real node's answers are checked against.
 *
 * What is real: slot, proposer, parent_root chaining, the attestations (Electra aggregates, see
 * votes.ts) and the sync aggregate bits. What is a seeded stand-in: signatures, randao reveal,
 * state_root and the execution payload (no transactions, withdrawals or requests).
 */
import { BitArray } from "@chainsafe/ssz";
import { MAX_COMMITTEES_PER_SLOT } from "@lodestar/params";
import { ssz, type electra } from "@lodestar/types";
import { SECONDS_PER_SLOT } from "./chainConfig.js";
import { epochOf, type BlockHeader } from "./chainLayout.js";
import type { ChainModel } from "./chainModel.js";
import { bytesFrom, firstWord } from "./random.js";
import { forEachCommittee, type GroupRef } from "./votes.js";

const TAG_SIGNATURE = 21;
const TAG_RANDAO = 22;
const TAG_EXECUTION = 23;
const TAG_FEE_RECIPIENT = 24;
const TAG_ETH1 = 25;

/** Mainnet's merge: execution block 15,537,394 at slot 4,700,013. Block numbers here follow slots from there. */
const MERGE_SLOT = 4_700_013;
const MERGE_BLOCK_NUMBER = 15_537_394;
const GAS_LIMIT = 36_000_000;
const EXTRA_DATA = new TextEncoder().encode("stakeops-simulator");
const EMPTY_TRANSACTIONS_ROOT = ssz.bellatrix.Transactions.hashTreeRoot([]);
const EMPTY_WITHDRAWALS_ROOT = ssz.capella.Withdrawals.hashTreeRoot([]);

/** A 96-byte stand-in that looks like a compressed G2 point (first byte 0x80..0xbf). */
export function fakeSignature(seed: number, tag: number, a: number, b = 0): Uint8Array {
  const bytes = bytesFrom(96, seed, TAG_SIGNATURE, tag * 0x1_0000 + b, a);
  bytes[0] = 0x80 | ((bytes[0] ?? 0) & 0x3f);
  return bytes;
}

export function randaoMix(seed: number, epoch: number): Uint8Array {
  return bytesFrom(32, seed, TAG_RANDAO, epoch);
}

export function eth1Data(model: ChainModel): electra.BeaconBlock["body"]["eth1Data"] {
  return {
    depositRoot: bytesFrom(32, model.seed, TAG_ETH1, 1),
    depositCount: BigInt(model.validatorCount),
    blockHash: bytesFrom(32, model.seed, TAG_ETH1, 2),
  };
}

function executionBlockHash(model: ChainModel, blockSlot: number): Uint8Array {
  const header = model.layout.header(blockSlot);
  return bytesFrom(32, model.seed, TAG_EXECUTION, blockSlot, header === null ? 0 : firstWord(header.root));
}

export function executionPayload(model: ChainModel, header: BlockHeader): electra.ExecutionPayload {
  const slot = header.slot;
  const parentSlot = model.layout.latestBlockSlot(slot - 1);
  return {
    parentHash: executionBlockHash(model, parentSlot),
    feeRecipient: bytesFrom(20, model.seed, TAG_FEE_RECIPIENT, header.proposerIndex),
    stateRoot: bytesFrom(32, model.seed, TAG_EXECUTION, slot, 1),
    receiptsRoot: bytesFrom(32, model.seed, TAG_EXECUTION, slot, 2),
    logsBloom: new Uint8Array(256),
    prevRandao: randaoMix(model.seed, epochOf(slot)),
    blockNumber: MERGE_BLOCK_NUMBER + (slot - MERGE_SLOT),
    gasLimit: GAS_LIMIT,
    gasUsed: GAS_LIMIT / 2,
    timestamp: model.genesisTime + slot * SECONDS_PER_SLOT,
    extraData: EXTRA_DATA,
    baseFeePerGas: 1_000_000_000n,
    blockHash: executionBlockHash(model, slot),
    transactions: [],
    withdrawals: [],
    blobGasUsed: 0n,
    excessBlobGas: 0n,
  };
}

export function executionPayloadHeader(model: ChainModel, header: BlockHeader): electra.ExecutionPayloadHeader {
  const { transactions: _transactions, withdrawals: _withdrawals, ...rest } = executionPayload(model, header);
  return { ...rest, transactionsRoot: EMPTY_TRANSACTIONS_ROOT, withdrawalsRoot: EMPTY_WITHDRAWALS_ROOT };
}

/** The Electra aggregate of one group; null when nobody in the group voted. */
export function aggregateOf(model: ChainModel, group: GroupRef): electra.Attestation | null {
  const committeeBits = BitArray.fromBitLen(MAX_COMMITTEES_PER_SLOT);
  const bits: boolean[] = [];
  forEachCommittee(model.votingContext(), group, (committeeIndex, members, kinds, voteKind) => {
    const part = Array.from(members, (v) => kinds[v] === voteKind);
    if (!part.includes(true)) return;
    // aggregation_bits: the bitlists of the committees with a bit in committee_bits, in committee order.
    committeeBits.set(committeeIndex, true);
    for (const bit of part) bits.push(bit);
  });
  if (bits.length === 0) return null;
  return {
    aggregationBits: BitArray.fromBoolArray(bits),
    data: model.attestationData(group),
    signature: fakeSignature(model.seed, 1, group.sourceSlot, group.kind),
    committeeBits,
  };
}

export function signedBlock(model: ChainModel, slot: number): electra.SignedBeaconBlock | null {
  const header = model.layout.header(slot);
  if (header === null) return null;
  const attestations: electra.Attestation[] = [];
  for (const group of model.groupsOfBlock(slot)) {
    const aggregate = aggregateOf(model, group);
    if (aggregate !== null) attestations.push(aggregate);
  }
  const graffiti = new Uint8Array(32);
  graffiti.set(new TextEncoder().encode(`stakeops-simulator v${header.variant}`));
  return {
    message: {
      slot,
      proposerIndex: header.proposerIndex,
      parentRoot: header.parentRoot,
      stateRoot: header.stateRoot,
      body: {
        randaoReveal: fakeSignature(model.seed, 2, slot, header.variant),
        eth1Data: eth1Data(model),
        graffiti,
        proposerSlashings: [],
        attesterSlashings: [],
        attestations,
        deposits: [],
        voluntaryExits: [],
        syncAggregate: {
          syncCommitteeBits: BitArray.fromBoolArray(model.syncParticipation(slot)),
          syncCommitteeSignature: fakeSignature(model.seed, 3, slot, header.variant),
        },
        executionPayload: executionPayload(model, header),
        blsToExecutionChanges: [],
        blobKzgCommitments: [],
        executionRequests: { deposits: [], withdrawals: [], consolidations: [] },
      },
    },
    signature: fakeSignature(model.seed, 4, slot, header.variant),
  };
}

/** The signed header the headers endpoint shows (same signature as the block's). */
export function signedHeader(model: ChainModel, header: BlockHeader): { message: ReturnType<typeof headerMessage>; signature: Uint8Array } {
  return { message: headerMessage(header), signature: fakeSignature(model.seed, 4, header.slot, header.variant) };
}

export function headerMessage(header: BlockHeader): { slot: number; proposerIndex: number; parentRoot: Uint8Array; stateRoot: Uint8Array; bodyRoot: Uint8Array } {
  return { slot: header.slot, proposerIndex: header.proposerIndex, parentRoot: header.parentRoot, stateRoot: header.stateRoot, bodyRoot: header.bodyRoot };
}
