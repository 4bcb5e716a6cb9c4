/**
 * Compatibility with the deposit CLI: deposit data, keystores and exits that the official tools
 * (and tools that reproduce them) wrote for known mnemonics, stored byte-exactly under
 * test/fixtures with their sources. stakeops must produce the same values, and the same bytes
 * where the fixture kept the CLI's own layout.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAddress } from "../../src/chain/address.js";
import { resolveDepositNetwork } from "../../src/chain/networks.js";
import { networkVoluntaryExitDomain } from "../../src/chain/signing.js";
import { knownNetwork } from "../../src/chain/networks.js";
import { buildDepositDataEntry, serializeDepositDataFile, type DepositDataEntry } from "../../src/deposit/depositData.js";
import { verifyDepositData } from "../../src/deposit/verifyDepositData.js";
import { addressWithdrawalCredentials } from "../../src/deposit/withdrawalCredentials.js";
import { serializeSignedExit, signVoluntaryExit } from "../../src/exit/signedExit.js";
import { generateKey, type KeyJobSpec, type WithdrawalSpec } from "../../src/keygen/keyJob.js";
import { decryptKeystore, parseKeystore, serializeKeystore } from "../../src/keygen/keystore.js";
import { checkMnemonic, mnemonicToSeed } from "../../src/keygen/mnemonic.js";
import { ValidatorKeyDeriver } from "../../src/keygen/validatorKeys.js";
import { bytesToHex, fixture, hexToBytes } from "../helpers/vectors.js";

interface ManifestEntry {
  dir: string;
  depositDataFile: string;
  keystoreFiles: string[];
  tool: string;
  mnemonic: string;
  mnemonicPassphrase: string;
  keystorePassword: string;
  startIndex: number;
  count: number;
  network: string;
  forkVersion: string;
  withdrawal: { type: "bls" } | { type: "execution"; address: string };
  amountGwei: number;
  singleLine: boolean;
}

const manifest = fixture<{ entries: ManifestEntry[] }>("deposit-cli/manifest.json").entries;
const fileText = (path: string): string => readFileSync(new URL(`../fixtures/deposit-cli/${path}`, import.meta.url), "utf8");
/** The KDF is not what these tests compare; keystores are decrypted from the fixtures instead. */
const CHEAP_KDF = { pbkdf2: { c: 1 } } as const;

function withdrawalSpec(entry: ManifestEntry): WithdrawalSpec {
  return entry.withdrawal.type === "bls"
    ? { type: "bls" }
    : { type: "execution", address: parseAddress(entry.withdrawal.address, { flag: "address", requireChecksum: true }) };
}

function generateLike(entry: ManifestEntry): DepositDataEntry[] {
  const deriver = new ValidatorKeyDeriver(mnemonicToSeed(checkMnemonic(entry.mnemonic), entry.mnemonicPassphrase));
  const spec: KeyJobSpec = {
    password: "irrelevant-here",
    kdf: "pbkdf2",
    network: resolveDepositNetwork({ forkVersion: `0x${entry.forkVersion}`, networkName: entry.network }),
    withdrawal: withdrawalSpec(entry),
    amountGwei: entry.amountGwei,
    kdfCost: CHEAP_KDF,
  };
  return Array.from({ length: entry.count }, (_, k) => generateKey(deriver, spec, entry.startIndex + k).deposit);
}

describe.each(manifest.map((m) => [`${m.tool}: ${m.dir}`, m] as const))("%s", (_name, entry) => {
  const expected = JSON.parse(fileText(`${entry.dir}/${entry.depositDataFile}`)) as DepositDataEntry[];

  it("stakeops derives the same deposits (every field, signatures included)", () => {
    const ours = generateLike(entry);
    expect(ours.map((d) => ({ ...d, deposit_cli_version: "(compared below)" }))).toEqual(
      expected.map((d) => ({ ...d, deposit_cli_version: "(compared below)" })),
    );
    // ethstaker-deposit-cli 1.2.2 writes its own version; stakeops writes that same format version.
    if (entry.tool.startsWith("ethstaker")) expect(ours.map((d) => d.deposit_cli_version)).toEqual(expected.map((d) => d.deposit_cli_version));
  });

  // Some fixtures were re-indented after the CLI wrote them; byte equality applies to the others.
  if (entry.singleLine) {
    it("stakeops writes the deposit file byte for byte as the CLI did", () => {
      const ours = generateLike(entry).map((d) => ({ ...d, deposit_cli_version: expected[0]?.deposit_cli_version ?? "" }));
      expect(serializeDepositDataFile(ours)).toBe(fileText(`${entry.dir}/${entry.depositDataFile}`));
    });
  }

  it("passes stakeops' own deposit verification", () => {
    const network = resolveDepositNetwork({ forkVersion: `0x${entry.forkVersion}`, networkName: entry.network });
    const result = verifyDepositData(expected, {
      network,
      ...(entry.withdrawal.type === "bls" ? {} : { withdrawalAddress: parseAddress(entry.withdrawal.address, { flag: "a", requireChecksum: true }) }),
    });
    expect(result.problems).toEqual([]);
    expect(result.valid).toHaveLength(entry.count);
  });

  // The goerli-era fixtures come without their keystores.
  if (entry.keystoreFiles.length === 0) return;
  it("its keystores decrypt with stakeops to the keys stakeops derives", async () => {
    const deriver = new ValidatorKeyDeriver(mnemonicToSeed(checkMnemonic(entry.mnemonic), entry.mnemonicPassphrase));
    for (const name of entry.keystoreFiles) {
      const text = fileText(`${entry.dir}/${name}`);
      const keystore = parseKeystore(JSON.parse(text), name);
      const { secretKey } = await decryptKeystore(keystore, entry.keystorePassword);
      const index = Number(/m_12381_3600_(\d+)_0_0/.exec(name)?.[1]);
      expect(keystore.path).toBe(`m/12381/3600/${index}/0/0`);
      expect(bytesToHex(secretKey)).toBe(bytesToHex(deriver.derive(index).signingSecretKey));
      // Field order and layout: re-serializing the CLI's keystore gives its bytes back.
      if (entry.singleLine) expect(serializeKeystore(keystore)).toBe(text);
    }
  });
});

describe("Lido's keygen fixture (deposit CLI output for the 'abandon … about' mnemonic on a devnet)", () => {
  const lido = fixture<{
    mnemonic: string;
    forkVersion: string;
    withdrawalAddress: string;
    amountGwei: number;
    deposits: Omit<DepositDataEntry, "network_name" | "deposit_cli_version">[];
    keystorePubkeysByIndex: Record<string, string>;
  }>("lido-keygen/abandon-devnet.json");
  const seed = mnemonicToSeed(checkMnemonic(lido.mnemonic));
  const deriver = new ValidatorKeyDeriver(seed);

  it("the signing pubkeys of all 60 indices", () => {
    for (const [index, pubkey] of Object.entries(lido.keystorePubkeysByIndex)) {
      expect(bytesToHex(deriver.derive(Number(index)).signingPubkey)).toBe(pubkey);
    }
    expect(Object.keys(lido.keystorePubkeysByIndex)).toHaveLength(60);
  });

  it("the first deposits, every field", () => {
    const network = resolveDepositNetwork({ forkVersion: `0x${lido.forkVersion}`, networkName: "lido-devnet" });
    const credentials = addressWithdrawalCredentials("execution", hexToBytes(lido.withdrawalAddress));
    lido.deposits.forEach((expected, index) => {
      const { network_name: _n, deposit_cli_version: _v, ...ours } = buildDepositDataEntry({
        secretKey: deriver.derive(index).signingSecretKey,
        withdrawalCredentials: credentials,
        amountGwei: lido.amountGwei,
        network,
      });
      expect(ours).toEqual(expected);
    });
  });
});

describe("Obol charon's compounding (0x02) deposits, from private keys", () => {
  const charon = fixture<{
    forkVersion: string;
    networkName: string;
    entries: { privateKey: string; withdrawalAddress: string; deposit: DepositDataEntry }[];
  }>("charon/compounding-goerli.json");

  it.each(charon.entries.map((e) => [e.deposit.pubkey.slice(0, 12), e] as const))("%s…", (_p, entry) => {
    const ours = buildDepositDataEntry({
      secretKey: hexToBytes(entry.privateKey),
      withdrawalCredentials: addressWithdrawalCredentials("compounding", hexToBytes(entry.withdrawalAddress)),
      amountGwei: entry.deposit.amount,
      network: resolveDepositNetwork({ forkVersion: `0x${charon.forkVersion}`, networkName: charon.networkName }),
    });
    expect({ ...ours, deposit_cli_version: "x" }).toEqual({ ...entry.deposit, deposit_cli_version: "x" });
  });
});

describe("signed exits: ethdo's known answers (mainnet, EIP-7044 domain)", () => {
  const exits = fixture<{
    mnemonic: string;
    cases: {
      name: string;
      keyIndex: number;
      validatorIndex: number;
      epoch: number;
      expectedSignature: string;
      expectedEthdoJson: { message: { epoch: string; validator_index: string }; signature: string };
    }[];
  }>("exits/ethdo-mainnet.json");
  const deriver = new ValidatorKeyDeriver(mnemonicToSeed(checkMnemonic(exits.mnemonic)));
  const domain = networkVoluntaryExitDomain(knownNetwork("mainnet"));

  it.each(exits.cases.map((c) => [c.name, c] as const))("%s", (_n, c) => {
    const signed = signVoluntaryExit(deriver.derive(c.keyIndex).signingSecretKey, { epoch: c.epoch, validatorIndex: c.validatorIndex }, domain);
    expect(signed).toEqual(c.expectedEthdoJson);
    expect(serializeSignedExit(signed)).toBe(
      `{"message": {"epoch": "${c.epoch}", "validator_index": "${c.validatorIndex}"}, "signature": "${c.expectedSignature}"}`,
    );
  });
});
