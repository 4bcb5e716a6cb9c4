/** The wire form of an interchange: snake_case, decimal strings, version "5". */
import type { Interchange } from "./types.js";
import { INTERCHANGE_FORMAT_VERSION } from "./types.js";

export interface InterchangeJson {
  readonly metadata: { readonly interchange_format_version: string; readonly genesis_validators_root: string };
  readonly data: readonly InterchangeRecordJson[];
}

export interface InterchangeRecordJson {
  readonly pubkey: string;
  readonly signed_blocks: readonly { readonly slot: string; readonly signing_root?: string }[];
  readonly signed_attestations: readonly { readonly source_epoch: string; readonly target_epoch: string; readonly signing_root?: string }[];
}

export function interchangeToJson(interchange: Interchange): InterchangeJson {
  return {
    metadata: { interchange_format_version: INTERCHANGE_FORMAT_VERSION, genesis_validators_root: interchange.genesisValidatorsRoot },
    data: interchange.data.map((record) => ({
      pubkey: record.pubkey,
      signed_blocks: record.signedBlocks.map((block) => ({
        slot: block.slot.toString(),
        ...(block.signingRoot === undefined ? {} : { signing_root: block.signingRoot }),
      })),
      signed_attestations: record.signedAttestations.map((attestation) => ({
        source_epoch: attestation.sourceEpoch.toString(),
        target_epoch: attestation.targetEpoch.toString(),
        ...(attestation.signingRoot === undefined ? {} : { signing_root: attestation.signingRoot }),
      })),
    })),
  };
}

/** JSON text for a file or a Keymanager API request; `space` as in JSON.stringify. */
export function serializeInterchange(interchange: Interchange, space?: number): string {
  return JSON.stringify(interchangeToJson(interchange), null, space);
}
