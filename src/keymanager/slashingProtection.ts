/**
 * The slice of EIP-3076 (interchange format v5) that moving keys needs: split an interchange a
 * validator client returned into one record per key, and put records back together for an import.
 * Strict validation, merging, minification and signing checks live in src/risk/interchange. This
 * slice stays lenient on purpose: it passes blocks and attestations through as the client wrote
 * them, so whatever protection a client returns is kept and handed back, even data the strict
 * reader would refuse.
 */
import { StakeopsError } from "../errors.js";
import { isJsonObject } from "../util/jsonFields.js";

export class InterchangeError extends StakeopsError<"INTERCHANGE_INVALID" | "INTERCHANGE_MISMATCH"> {}

export interface Interchange {
  readonly metadata: { readonly interchange_format_version: string; readonly genesis_validators_root: string };
  readonly data: readonly InterchangeRecord[];
}

export interface InterchangeRecord {
  readonly pubkey: string;
  readonly signed_blocks: readonly unknown[];
  readonly signed_attestations: readonly unknown[];
}

export function parseInterchange(text: string): Interchange {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InterchangeError("INTERCHANGE_INVALID", "slashing protection is not valid JSON", {});
  }
  if (!isJsonObject(json) || !isJsonObject(json["metadata"]) || !Array.isArray(json["data"])) {
    throw new InterchangeError("INTERCHANGE_INVALID", "slashing protection is not an EIP-3076 interchange (metadata and data)", {});
  }
  const metadata = json["metadata"];
  const version = metadata["interchange_format_version"];
  const root = metadata["genesis_validators_root"];
  if (String(version) !== "5" || typeof root !== "string") {
    throw new InterchangeError("INTERCHANGE_INVALID", `slashing protection must be interchange format version 5 with a genesis_validators_root`, {});
  }
  const data = json["data"].map((record: unknown): InterchangeRecord => {
    if (!isJsonObject(record) || typeof record["pubkey"] !== "string") {
      throw new InterchangeError("INTERCHANGE_INVALID", "a slashing protection record has no pubkey", {});
    }
    const blocks = record["signed_blocks"];
    const attestations = record["signed_attestations"];
    return {
      pubkey: record["pubkey"].toLowerCase(),
      signed_blocks: Array.isArray(blocks) ? blocks : [],
      signed_attestations: Array.isArray(attestations) ? attestations : [],
    };
  });
  return { metadata: { interchange_format_version: "5", genesis_validators_root: root.toLowerCase() }, data };
}

/** The interchange restricted to one key (an empty record if the key signed nothing). */
export function interchangeFor(interchange: Interchange, pubkey: string): Interchange {
  const records = interchange.data.filter((r) => r.pubkey === pubkey);
  return { metadata: interchange.metadata, data: records.length > 0 ? records : [{ pubkey, signed_blocks: [], signed_attestations: [] }] };
}

/**
 * Several kept interchanges as one, for an import. Records of the same key are concatenated
 * (clients take the union on import). All must be for the same chain.
 */
export function combineInterchanges(interchanges: readonly Interchange[]): Interchange | null {
  const first = interchanges[0];
  if (first === undefined) return null;
  const root = first.metadata.genesis_validators_root;
  const byPubkey = new Map<string, { blocks: unknown[]; attestations: unknown[] }>();
  for (const interchange of interchanges) {
    if (interchange.metadata.genesis_validators_root !== root) {
      throw new InterchangeError(
        "INTERCHANGE_MISMATCH",
        `kept slashing protection is for two chains (${root} and ${interchange.metadata.genesis_validators_root})`,
        {},
      );
    }
    for (const record of interchange.data) {
      const entry = byPubkey.get(record.pubkey) ?? { blocks: [], attestations: [] };
      entry.blocks.push(...record.signed_blocks);
      entry.attestations.push(...record.signed_attestations);
      byPubkey.set(record.pubkey, entry);
    }
  }
  return {
    metadata: first.metadata,
    data: [...byPubkey].map(([pubkey, e]) => ({ pubkey, signed_blocks: e.blocks, signed_attestations: e.attestations })),
  };
}
