import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // scrypt at the EIP-2335 default cost takes ~1 s per derivation on this class of machine;
    // tests that run it do so on purpose and need the headroom.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
