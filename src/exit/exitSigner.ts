/**
 * Gets a signed voluntary exit for a validator, from the first source that has one:
 * 1. an exit the operator pre-signed and uploaded (stored sealed);
 * 2. the key in the service's custody (signed here, with the EIP-7044 domain);
 * 3. the validator client holding the key, through the Keymanager API's voluntary_exit route;
 * and otherwise, for execution-address credentials, the EIP-7002 withdrawal request for the
 * protocol to send. `plan` says which source would be used without signing anything (dry run).
 */
import type { KeymanagerApi } from "../keymanager/keymanagerApi.js";
import type { KeyCustody } from "../registry/custody.js";
import type { SecretBox } from "../registry/secretBox.js";
import type { ExitsRepository } from "../store/exits.js";
import type { KeyAssignmentsRepository } from "../store/keyAssignments.js";
import { signVoluntaryExit, type SignedVoluntaryExitJson } from "./signedExit.js";
import { fullExitRequest, type WithdrawalRequest } from "./withdrawalRequest.js";

export type SigningSource = "presigned" | "custody" | "keymanager" | "eip-7002" | "none";

export type SignedOrRequest =
  | { readonly source: "presigned" | "custody" | "keymanager"; readonly exit: SignedVoluntaryExitJson }
  | { readonly source: "eip-7002"; readonly request: WithdrawalRequest }
  | { readonly source: "none"; readonly reason: string };

export interface ExitKey {
  readonly pubkey: string;
  readonly validatorIndex: number;
  readonly operatorName: string;
  readonly inCustody: boolean;
  /** First byte of the withdrawal credentials on chain. */
  readonly credentialType: number;
}

export interface ExitSignerDependencies {
  readonly exits: ExitsRepository;
  readonly secrets: SecretBox;
  readonly custody: KeyCustody;
  readonly assignments: KeyAssignmentsRepository;
  /** The Keymanager API of a registered validator client. */
  readonly keymanager: (validatorClientId: string) => Promise<KeymanagerApi>;
  /** The EIP-7002 fee in wei, or null when it cannot be read. */
  readonly withdrawalFee: () => Promise<bigint | null>;
}

export class ExitSigner {
  constructor(private readonly deps: ExitSignerDependencies) {}

  /** The source `sign` would use; for the keymanager it can only say "a client holds the key". */
  async plan(key: ExitKey): Promise<SigningSource> {
    if ((await this.deps.exits.presigned(key.pubkey)) !== undefined) return "presigned";
    if (key.inCustody) return "custody";
    if ((await this.deps.assignments.liveFor([key.pubkey])).length > 0) return "keymanager";
    return key.credentialType === 0x01 || key.credentialType === 0x02 ? "eip-7002" : "none";
  }

  async sign(key: ExitKey, epoch: number, domain: Uint8Array): Promise<SignedOrRequest> {
    const presigned = await this.deps.exits.presigned(key.pubkey);
    if (presigned !== undefined) return { source: "presigned", exit: JSON.parse(this.deps.secrets.open(presigned.signed_exit)) as SignedVoluntaryExitJson };
    if (key.inCustody) {
      const { secretKey } = await this.deps.custody.open(key.operatorName, key.pubkey);
      try {
        return { source: "custody", exit: signVoluntaryExit(secretKey, { epoch, validatorIndex: key.validatorIndex }, domain) };
      } finally {
        secretKey.fill(0);
      }
    }
    for (const assignment of await this.deps.assignments.liveFor([key.pubkey])) {
      const api = await this.deps.keymanager(assignment.validator_client_id);
      const exit = await api.signVoluntaryExit(key.pubkey, epoch);
      if (exit !== null) return { source: "keymanager", exit };
    }
    if (key.credentialType === 0x01 || key.credentialType === 0x02) {
      return { source: "eip-7002", request: fullExitRequest(key.pubkey, await this.deps.withdrawalFee()) };
    }
    return {
      source: "none",
      reason: "no pre-signed exit, the key is not in custody, no validator client signs exits, and 0x00 credentials allow no EIP-7002 request",
    };
  }
}
