/** Prompts: only on a terminal, hidden input, and the same result as the file flags. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bls } from "../../src/crypto/bls.js";
import { encryptKeystore } from "../../src/keygen/keystore.js";
import { runStakeopsInTerminal } from "../helpers/cli.js";
import { useTempDirs } from "../helpers/tempDir.js";

const tempDir = useTempDirs();

describe("on a terminal", () => {
  it("asks for a missing password without echoing it", async () => {
    const dir = await tempDir();
    const file = join(dir, "keystore.json");
    const keystore = await encryptKeystore(bls.SecretKey.fromKeygen(new Uint8Array(32).fill(3)).toBytes(), "s3cret-typed-here", {
      kdf: "pbkdf2",
      path: "m/12381/3600/0/0/0",
      pbkdf2: { c: 1000 },
    });
    await writeFile(file, JSON.stringify(keystore));
    const run = await runStakeopsInTerminal(["keystore", "verify", file], [{ prompt: "Keystore password: ", answer: "s3cret-typed-here" }]);
    expect(run.output).toContain("Keystore password: ");
    expect(run.output).toContain(`ok: ${file}: pubkey 0x${keystore.pubkey}`);
    expect(run.output).not.toContain("s3cret-typed-here");
    expect(run.code).toBe(0);
  });

  it("asks twice for a new keystore password and refuses two different entries", async () => {
    const dir = await tempDir();
    const mnemonic = join(dir, "m.txt");
    await writeFile(mnemonic, "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about\n", { mode: 0o600 });
    const run = await runStakeopsInTerminal(
      ["keys", "generate", "--mnemonic-file", mnemonic, "--count", "1", "--network", "hoodi", "--bls-withdrawal", "--out", join(dir, "out")],
      [
        { prompt: "Keystore password: ", answer: "first-password" },
        { prompt: "Repeat the keystore password: ", answer: "other-password" },
      ],
    );
    expect(run.output).toMatch(/error: the two keystore password entries differ/);
    expect(run.code).toBe(1);
  });

  it("draws a progress bar on a terminal", async () => {
    const dir = await tempDir();
    const mnemonic = join(dir, "m.txt");
    await writeFile(mnemonic, "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about\n", { mode: 0o600 });
    const run = await runStakeopsInTerminal(
      ["keys", "generate", "--mnemonic-file", mnemonic, "--count", "2", "--network", "hoodi", "--bls-withdrawal", "--kdf", "pbkdf2", "--out", join(dir, "out")],
      [
        { prompt: "Keystore password: ", answer: "same-password" },
        { prompt: "Repeat the keystore password: ", answer: "same-password" },
      ],
    );
    expect(run.output).toMatch(/\r\[#{30}\] 2\/2 keystores/);
    expect(run.output).not.toMatch(/^progress: /m);
    expect(run.code).toBe(0);
  });
});
