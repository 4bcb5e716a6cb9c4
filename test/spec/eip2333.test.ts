/**
 * EIP-2333 key derivation against the EIP's own test cases (pinned in test/fixtures/vectors,
 * copied from ../shared/vectors) and EIP-2334 paths.
 */
import { describe, expect, it } from "vitest";
import { checkMnemonic, mnemonicToSeed } from "../../src/keygen/mnemonic.js";
import { deriveChildSecretKey, deriveMasterSecretKey, deriveSecretKey } from "../../src/keygen/eip2333.js";
import { parsePath, signingKeyPath, withdrawalKeyPath } from "../../src/keygen/eip2334.js";
import { ValidatorKeyDeriver } from "../../src/keygen/validatorKeys.js";
import { DerivationError } from "../../src/keygen/errors.js";
import { bytesToHex, decimalToBytes32, hexToBytes, sharedVectorText, vectorText } from "../helpers/vectors.js";

interface Eip2333Vectors {
  test_cases: {
    name: string;
    seed: string;
    master_SK: string;
    master_SK_hex: string;
    child_index: number;
    child_SK: string;
    bip39?: { mnemonic: string; passphrase: string };
  }[];
  intermediate_vector: { mnemonic: string; bip39_passphrase: string; seed: string; master_SK: string; child_index: number; child_SK: string };
  derived_convenience_vectors_COMPUTED: {
    mnemonic: string;
    bip39_passphrase: string;
    seed: string;
    keys: { path_withdrawal: string; withdrawal_SK_hex: string; path_signing: string; signing_SK_hex: string }[];
  };
}

const vectors = JSON.parse(vectorText("eip2333.json")) as Eip2333Vectors;

describe("EIP-2333 vectors", () => {
  it("the vendored copy equals ../shared/vectors when that is present", () => {
    const shared = sharedVectorText("eip2333.json");
    if (shared !== null) expect(vectorText("eip2333.json")).toBe(shared);
    expect(vectors.test_cases.length).toBe(4);
  });

  it.each(vectors.test_cases)("$name: master and child secret keys", (tc) => {
    const master = deriveMasterSecretKey(hexToBytes(tc.seed));
    expect(bytesToHex(master.toBytes())).toBe(bytesToHex(decimalToBytes32(tc.master_SK)));
    expect(`0x${bytesToHex(master.toBytes())}`).toBe(tc.master_SK_hex.toLowerCase());
    const child = deriveChildSecretKey(master, tc.child_index);
    expect(bytesToHex(child.toBytes())).toBe(bytesToHex(decimalToBytes32(tc.child_SK)));
  });

  it("test case 0's seed is the BIP39 seed of its mnemonic and passphrase", () => {
    const tc = vectors.test_cases[0];
    if (tc?.bip39 === undefined) throw new Error("vector file changed: test case 0 has no bip39 data");
    const seed = mnemonicToSeed(checkMnemonic(tc.bip39.mnemonic), tc.bip39.passphrase);
    expect(`0x${bytesToHex(seed)}`).toBe(tc.seed.toLowerCase());
  });

  it("intermediate vector: child of the master key at m/0", () => {
    const iv = vectors.intermediate_vector;
    const seed = mnemonicToSeed(checkMnemonic(iv.mnemonic), iv.bip39_passphrase);
    expect(`0x${bytesToHex(seed)}`).toBe(iv.seed.toLowerCase());
    const child = deriveSecretKey(seed, [iv.child_index]);
    expect(bytesToHex(child.toBytes())).toBe(bytesToHex(decimalToBytes32(iv.child_SK)));
  });

  it("EIP-2334 withdrawal and signing keys of the first validators", () => {
    const v = vectors.derived_convenience_vectors_COMPUTED;
    const seed = mnemonicToSeed(checkMnemonic(v.mnemonic), v.bip39_passphrase);
    const deriver = new ValidatorKeyDeriver(seed);
    v.keys.forEach((k, i) => {
      expect(withdrawalKeyPath(i)).toBe(k.path_withdrawal);
      expect(signingKeyPath(i)).toBe(k.path_signing);
      const keys = deriver.derive(i);
      expect(`0x${bytesToHex(keys.signingSecretKey)}`).toBe(k.signing_SK_hex);
      expect(`0x${bytesToHex(deriveSecretKey(seed, parsePath(k.path_withdrawal)).toBytes())}`).toBe(k.withdrawal_SK_hex);
    });
  });

  it("refuses seeds shorter than 32 bytes", () => {
    expect(() => deriveMasterSecretKey(new Uint8Array(31))).toThrow(DerivationError);
  });

  it.each([
    ["m", "no index"],
    ["12381/3600", "no m/"],
    ["m/12381'/3600", "hardened marker"],
    ["m/4294967296", "index above 2^32-1"],
    ["m/01", "leading zero"],
  ])("rejects path %s (%s)", (path) => {
    expect(() => parsePath(path)).toThrow(DerivationError);
  });
});
