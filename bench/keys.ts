/**
 * Keystore generation throughput against this machine's ceiling, measured in the same run:
 * ceiling = cores ÷ seconds for one EIP-2335 scrypt derivation (n=2^18, r=8, p=1) on one core.
 * Target (issue 2): 64 scrypt keystores at ≥ 0.85 of the ceiling.
 */
import { scryptSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { knownNetwork } from "../src/chain/networks.js";
import { generateKeys } from "../src/keygen/generateKeys.js";
import { DEFAULT_SCRYPT } from "../src/keygen/keystore.js";
import { checkMnemonic, mnemonicToSeed } from "../src/keygen/mnemonic.js";
import { median, type BenchResult } from "./stats.js";

const KEYS = 64;

export async function benchKeys(): Promise<BenchResult[]> {
  const cores = availableParallelism();
  const single: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    scryptSync("password", Buffer.alloc(32, i), 32, { N: DEFAULT_SCRYPT.n, r: DEFAULT_SCRYPT.r, p: DEFAULT_SCRYPT.p, maxmem: 512 * 1024 * 1024 });
    single.push((performance.now() - t) / 1000);
  }
  const scryptSeconds = median(single);
  const ceiling = cores / scryptSeconds;

  const out = join(await mkdtemp(join(tmpdir(), "stakeops-bench-")), "keys");
  const seed = mnemonicToSeed(checkMnemonic("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"));
  const started = performance.now();
  try {
    await generateKeys(
      {
        seed,
        spec: {
          password: "benchmark-password",
          kdf: "scrypt",
          network: knownNetwork("hoodi"),
          withdrawal: { type: "execution", address: new Uint8Array(20).fill(0x11) },
          amountGwei: 32_000_000_000,
        },
        startIndex: 0,
        count: KEYS,
        outDir: out,
      },
      { now: () => new Date() },
    );
  } finally {
    await rm(join(out, ".."), { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  const rate = KEYS / seconds;
  return [
    { name: "scrypt derivation, one core (baseline)", value: scryptSeconds, unit: "s" },
    { name: `ceiling: ${cores} cores ÷ scrypt seconds`, value: ceiling, unit: "keys/s" },
    { name: `keys generate, ${KEYS} scrypt keystores + deposit data`, value: rate, unit: "keys/s", ratio: rate / ceiling, target: 0.85 },
  ];
}
