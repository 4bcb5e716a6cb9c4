/**
 * Networks stakeops knows by name. Values come from each network's published chain config
 * (eth-clients/<network> and the consensus-specs configs), the same values the deposit CLI ships
 * in its settings: the genesis fork version signs deposits, the Capella fork version and the
 * genesis validators root sign voluntary exits (EIP-7044).
 */
import { InputError } from "../errors.js";
import { parseHex, toPrefixedHex } from "../util/hex.js";

export interface Network {
  /** Name as the deposit CLI writes it in `network_name`. */
  readonly name: string;
  readonly genesisForkVersion: Uint8Array;
  /** Null for a custom network given only by its genesis fork version. */
  readonly capellaForkVersion: Uint8Array | null;
  readonly genesisValidatorsRoot: Uint8Array | null;
}

interface KnownNetworkRow {
  readonly genesisForkVersion: string;
  readonly capellaForkVersion: string;
  readonly genesisValidatorsRoot: string;
}

const KNOWN: Readonly<Record<string, KnownNetworkRow>> = {
  mainnet: {
    genesisForkVersion: "0x00000000",
    capellaForkVersion: "0x03000000",
    genesisValidatorsRoot: "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95",
  },
  sepolia: {
    genesisForkVersion: "0x90000069",
    capellaForkVersion: "0x90000072",
    genesisValidatorsRoot: "0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078",
  },
  holesky: {
    genesisForkVersion: "0x01017000",
    capellaForkVersion: "0x04017000",
    genesisValidatorsRoot: "0x9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1",
  },
  hoodi: {
    genesisForkVersion: "0x10000910",
    capellaForkVersion: "0x40000910",
    genesisValidatorsRoot: "0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f",
  },
};

export const KNOWN_NETWORK_NAMES: readonly string[] = Object.keys(KNOWN);

export function knownNetwork(name: string): Network {
  const row = KNOWN[name];
  if (row === undefined) {
    throw new InputError(
      "UNKNOWN_NETWORK",
      `unknown network "${name}"; known networks: ${KNOWN_NETWORK_NAMES.join(", ")}. ` +
        "For another network pass its genesis fork version with --fork-version 0x… (and --network-name)",
      { network: name },
    );
  }
  return {
    name,
    genesisForkVersion: parseHex(row.genesisForkVersion, { what: "fork version", bytes: 4, prefix: "required" }),
    capellaForkVersion: parseHex(row.capellaForkVersion, { what: "fork version", bytes: 4, prefix: "required" }),
    genesisValidatorsRoot: parseHex(row.genesisValidatorsRoot, {
      what: "genesis validators root",
      bytes: 32,
      prefix: "required",
    }),
  };
}

/** The known network whose genesis fork version this is, if any. */
export function networkByGenesisForkVersion(forkVersion: Uint8Array): Network | null {
  const hex = toPrefixedHex(forkVersion);
  const name = KNOWN_NETWORK_NAMES.find((n) => KNOWN[n]?.genesisForkVersion === hex);
  return name === undefined ? null : knownNetwork(name);
}

export function parseForkVersion(value: string, flag: string): Uint8Array {
  return parseHex(value, { what: `${flag} (a 4-byte fork version like 0x10000910)`, bytes: 4, prefix: "required" });
}

export function parseGenesisValidatorsRoot(value: string, flag: string): Uint8Array {
  return parseHex(value, { what: `${flag} (a 32-byte root)`, bytes: 32, prefix: "required" });
}

export interface NetworkSelection {
  readonly network?: string | undefined;
  readonly forkVersion?: string | undefined;
  readonly networkName?: string | undefined;
}

/**
 * The network for deposits: a known one by name, or a custom one by its genesis fork version.
 * A custom fork version that belongs to a known network resolves to that network, so its
 * `network_name` is written the way the deposit CLI would write it.
 */
export function resolveDepositNetwork(selection: NetworkSelection): Network {
  if (selection.network !== undefined && selection.forkVersion !== undefined) {
    throw new InputError("INVALID_ARGUMENT", "give either --network or --fork-version, not both", {});
  }
  if (selection.network !== undefined) {
    if (selection.networkName !== undefined) {
      throw new InputError("INVALID_ARGUMENT", "--network-name goes with --fork-version, not with --network", {});
    }
    return knownNetwork(selection.network);
  }
  if (selection.forkVersion !== undefined) {
    const forkVersion = parseForkVersion(selection.forkVersion, "--fork-version");
    const known = networkByGenesisForkVersion(forkVersion);
    if (known !== null) {
      if (selection.networkName !== undefined && selection.networkName !== known.name) {
        throw new InputError(
          "INVALID_ARGUMENT",
          `--fork-version ${selection.forkVersion} is ${known.name}'s genesis fork version, but --network-name is "${selection.networkName}"`,
          {},
        );
      }
      return known;
    }
    const name = selection.networkName ?? "custom";
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/i.test(name)) {
      throw new InputError("INVALID_ARGUMENT", `--network-name "${name}" must be 1-64 letters, digits, - or _`, {});
    }
    return { name, genesisForkVersion: forkVersion, capellaForkVersion: null, genesisValidatorsRoot: null };
  }
  throw new InputError(
    "MISSING_INPUT",
    `choose a network: --network ${KNOWN_NETWORK_NAMES.join("|")}, or --fork-version 0x… for another network`,
    {},
  );
}

export interface ExitNetworkSelection {
  readonly network?: string | undefined;
  readonly capellaForkVersion?: string | undefined;
  readonly genesisValidatorsRoot?: string | undefined;
}

/** The network for voluntary exits (EIP-7044 domain): a known one, or Capella fork version + genesis validators root. */
export function resolveExitNetwork(selection: ExitNetworkSelection): Network {
  const custom = selection.capellaForkVersion !== undefined || selection.genesisValidatorsRoot !== undefined;
  if (selection.network !== undefined) {
    if (custom) {
      throw new InputError(
        "INVALID_ARGUMENT",
        "give either --network or --capella-fork-version with --genesis-validators-root, not both",
        {},
      );
    }
    return knownNetwork(selection.network);
  }
  if (selection.capellaForkVersion === undefined || selection.genesisValidatorsRoot === undefined) {
    throw new InputError(
      "MISSING_INPUT",
      custom
        ? "a custom network needs both --capella-fork-version and --genesis-validators-root"
        : `choose a network: --network ${KNOWN_NETWORK_NAMES.join("|")}, or --capella-fork-version 0x… with --genesis-validators-root 0x…`,
      {},
    );
  }
  const capellaForkVersion = parseForkVersion(selection.capellaForkVersion, "--capella-fork-version");
  const genesisValidatorsRoot = parseGenesisValidatorsRoot(selection.genesisValidatorsRoot, "--genesis-validators-root");
  const known = KNOWN_NETWORK_NAMES.map(knownNetwork).find(
    (n) =>
      n.genesisValidatorsRoot !== null &&
      Buffer.compare(n.genesisValidatorsRoot, genesisValidatorsRoot) === 0 &&
      n.capellaForkVersion !== null &&
      Buffer.compare(n.capellaForkVersion, capellaForkVersion) === 0,
  );
  return known ?? { name: "custom", genesisForkVersion: new Uint8Array(4), capellaForkVersion, genesisValidatorsRoot };
}
