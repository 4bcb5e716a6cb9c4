/**
 * Domains and signing roots (consensus specs, phase0 `compute_domain` / `compute_signing_root`),
 * on the SSZ containers of @lodestar/types.
 */
import { DOMAIN_DEPOSIT, DOMAIN_VOLUNTARY_EXIT } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import type { Type } from "@chainsafe/ssz";
import { StakeopsError } from "../errors.js";
import type { Network } from "./networks.js";

const ZERO_ROOT = new Uint8Array(32);

export function computeDomain(
  domainType: Uint8Array,
  forkVersion: Uint8Array,
  genesisValidatorsRoot: Uint8Array,
): Uint8Array {
  const forkDataRoot = ssz.phase0.ForkData.hashTreeRoot({ currentVersion: forkVersion, genesisValidatorsRoot });
  const domain = new Uint8Array(32);
  domain.set(domainType, 0);
  domain.set(forkDataRoot.subarray(0, 28), 4);
  return domain;
}

export function computeSigningRoot<T>(type: Type<T>, value: T, domain: Uint8Array): Uint8Array {
  return computeSigningRootOfObjectRoot(type.hashTreeRoot(value), domain);
}

/** When the object's root is already at hand (deposit verification computes it anyway). */
export function computeSigningRootOfObjectRoot(objectRoot: Uint8Array, domain: Uint8Array): Uint8Array {
  return ssz.phase0.SigningData.hashTreeRoot({ objectRoot, domain });
}

/**
 * Deposits are signed with the genesis fork version and a zero genesis validators root
 * (`compute_domain(DOMAIN_DEPOSIT)` with defaults) so they stay valid across forks.
 */
export function depositDomain(genesisForkVersion: Uint8Array): Uint8Array {
  return computeDomain(DOMAIN_DEPOSIT, genesisForkVersion, ZERO_ROOT);
}

export class ExitDomainError extends StakeopsError<"EXIT_DOMAIN_UNKNOWN"> {}

/**
 * EIP-7044: voluntary exits are signed with the Capella fork version for ever after, so a
 * pre-signed exit stays valid through every later fork.
 */
export function voluntaryExitDomain(capellaForkVersion: Uint8Array, genesisValidatorsRoot: Uint8Array): Uint8Array {
  return computeDomain(DOMAIN_VOLUNTARY_EXIT, capellaForkVersion, genesisValidatorsRoot);
}

export function networkVoluntaryExitDomain(network: Network): Uint8Array {
  if (network.capellaForkVersion === null || network.genesisValidatorsRoot === null) {
    throw new ExitDomainError(
      "EXIT_DOMAIN_UNKNOWN",
      `the Capella fork version and genesis validators root of network "${network.name}" are not known; ` +
        "pass --capella-fork-version 0x… and --genesis-validators-root 0x…",
      { network: network.name },
    );
  }
  return voluntaryExitDomain(network.capellaForkVersion, network.genesisValidatorsRoot);
}
