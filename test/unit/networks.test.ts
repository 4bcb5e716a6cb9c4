import { describe, expect, it } from "vitest";
import { knownNetwork, resolveDepositNetwork, resolveExitNetwork } from "../../src/chain/networks.js";
import { depositDomain, networkVoluntaryExitDomain } from "../../src/chain/signing.js";

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString("hex")}`;

describe("networks", () => {
  it("mainnet's deposit domain is the well-known 0x03000000f5a5fd42…", () => {
    expect(hex(depositDomain(knownNetwork("mainnet").genesisForkVersion))).toBe(
      "0x03000000f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9",
    );
  });

  it.each([
    // [selection, expected name, expected genesis fork version]
    [{ network: "hoodi" }, "hoodi", "0x10000910"],
    [{ forkVersion: "0x90000069" }, "sepolia", "0x90000069"], // a known fork version resolves to its network
    [{ forkVersion: "0x10000038", networkName: "lido-devnet" }, "lido-devnet", "0x10000038"],
    [{ forkVersion: "0x10000038" }, "custom", "0x10000038"],
  ])("deposit network %j", (selection, name, fork) => {
    const network = resolveDepositNetwork(selection);
    expect(network.name).toBe(name);
    expect(hex(network.genesisForkVersion)).toBe(fork);
  });

  it.each([
    [{}, "MISSING_INPUT"],
    [{ network: "goerli" }, "UNKNOWN_NETWORK"],
    [{ network: "hoodi", forkVersion: "0x10000910" }, "INVALID_ARGUMENT"],
    [{ forkVersion: "0x1000" }, "INVALID_HEX"],
    [{ forkVersion: "10000910" }, "INVALID_HEX"],
    [{ forkVersion: "0x90000069", networkName: "hoodi" }, "INVALID_ARGUMENT"],
    [{ forkVersion: "0x10000038", networkName: "bad name!" }, "INVALID_ARGUMENT"],
  ])("deposit network %j is refused with %s", (selection, code) => {
    expect(() => resolveDepositNetwork(selection)).toThrow(expect.objectContaining({ code }));
  });

  it("exit network by flags equals the named one when the values match", () => {
    const byFlags = resolveExitNetwork({
      capellaForkVersion: "0x03000000",
      genesisValidatorsRoot: "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95",
    });
    expect(byFlags.name).toBe("mainnet");
    expect(networkVoluntaryExitDomain(byFlags)).toEqual(networkVoluntaryExitDomain(knownNetwork("mainnet")));
  });

  it.each([
    [{ capellaForkVersion: "0x03000000" }, "MISSING_INPUT"],
    [{ network: "mainnet", capellaForkVersion: "0x03000000" }, "INVALID_ARGUMENT"],
    [{ capellaForkVersion: "0x03000000", genesisValidatorsRoot: "0x00" }, "INVALID_HEX"],
  ])("exit network %j is refused with %s", (selection, code) => {
    expect(() => resolveExitNetwork(selection)).toThrow(expect.objectContaining({ code }));
  });

  it("a custom deposit network has no exit domain until its Capella fork is given", () => {
    expect(() => networkVoluntaryExitDomain(resolveDepositNetwork({ forkVersion: "0x10000038" }))).toThrow(
      expect.objectContaining({ code: "EXIT_DOMAIN_UNKNOWN" }),
    );
  });
});
