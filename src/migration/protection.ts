/**
 * The slashing protection a migrated key takes along: every record kept for it (what the source
 * returned on removal, and what earlier moves kept) merged by EIP-3076's rules, strictly read.
 * The lenient slice in keymanager/slashingProtection.ts keeps whatever a client returns; here a
 * record that cannot be read strictly stops the migration instead, because importing a key with
 * less protection than it has is how a moved key gets slashed.
 */
import { mergeInterchanges, parseInterchangeJson, serializeInterchange, type Interchange } from "../risk/interchange/index.js";

/** The merged history of one key, or null if nothing is kept for it. Throws InvalidInterchangeError. */
export function mergeKeptProtection(pubkey: string, kept: readonly { readonly interchange: string }[]): Interchange | null {
  const parsed = kept.map((row) => {
    const interchange = parseInterchangeJson(row.interchange);
    return { genesisValidatorsRoot: interchange.genesisValidatorsRoot, data: interchange.data.filter((record) => record.pubkey === pubkey) };
  });
  const [first, ...rest] = parsed;
  if (first === undefined) return null;
  const merged = mergeInterchanges([first, ...rest]);
  // A key that never signed still travels with an (empty) record: the client then knows it was asked.
  return merged.data.length > 0 ? merged : { genesisValidatorsRoot: merged.genesisValidatorsRoot, data: [{ pubkey, signedBlocks: [], signedAttestations: [] }] };
}

/** Several keys' merged histories (as stored JSON) as the one interchange an import request carries. */
export function protectionForImport(perKey: readonly string[]): string | undefined {
  const [first, ...rest] = perKey.map(parseInterchangeJson);
  return first === undefined ? undefined : serializeInterchange(mergeInterchanges([first, ...rest]));
}
