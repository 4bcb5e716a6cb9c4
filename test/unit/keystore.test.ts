import { describe, expect, it } from "vitest";
import { bls } from "../../src/crypto/bls.js";
import {
  assertPasswordStrength,
  decryptKeystore,
  encryptKeystore,
  parseKeystore,
  type Keystore,
} from "../../src/keygen/keystore.js";

// Cheap KDF cost: these tests are about structure and checks, not the KDF (the spec tests run the real cost).
const CHEAP = { scrypt: { n: 1024, r: 8, p: 1 }, pbkdf2: { c: 1000 } } as const;
const secret = bls.SecretKey.fromKeygen(new Uint8Array(32).fill(7)).toBytes();

async function keystore(kdf: "scrypt" | "pbkdf2" = "scrypt"): Promise<Keystore> {
  return encryptKeystore(secret, "correct horse battery", { kdf, path: "m/12381/3600/0/0/0", ...CHEAP });
}

function mutate(ks: Keystore, edit: (json: Record<string, any>) => void): unknown {
  const json = JSON.parse(JSON.stringify(ks)) as Record<string, any>;
  edit(json);
  return json;
}

describe("keystores", () => {
  it.each(["scrypt", "pbkdf2"] as const)("%s: round trip", async (kdf) => {
    const ks = await keystore(kdf);
    const { secretKey, pubkey } = await decryptKeystore(parseKeystore(JSON.parse(JSON.stringify(ks)), "test"), "correct horse battery");
    expect(secretKey).toEqual(secret);
    expect(Buffer.from(pubkey).toString("hex")).toBe(ks.pubkey);
  });

  it("uses a fresh salt, IV and uuid for every keystore", async () => {
    const [a, b] = [await keystore(), await keystore()];
    expect(a.crypto.kdf.params.salt).not.toBe(b.crypto.kdf.params.salt);
    expect(a.crypto.cipher.params.iv).not.toBe(b.crypto.cipher.params.iv);
    expect(a.uuid).not.toBe(b.uuid);
  });

  it("normalizes the password per EIP-2335: control characters and NFKD forms decrypt alike", async () => {
    const ks = await encryptKeystore(secret, "Å\u0000passwörd", { kdf: "pbkdf2", path: "m/0", ...CHEAP });
    await expect(decryptKeystore(ks, "\u212Bpassw\u006f\u0308rd\n")).resolves.toMatchObject({ secretKey: secret });
  });

  it("refuses a password shorter than 8 characters", () => {
    expect(() => assertPasswordStrength("short\u0000\u0001\u0002")).toThrow(expect.objectContaining({ code: "KEYSTORE_WEAK_PASSWORD" }));
    expect(() => assertPasswordStrength("12345678")).not.toThrow();
  });

  it("detects a wrong password", async () => {
    await expect(decryptKeystore(await keystore(), "wrong horse battery")).rejects.toMatchObject({ code: "KEYSTORE_WRONG_PASSWORD" });
  });

  it("detects a modified ciphertext through the checksum", async () => {
    const ks = await keystore();
    const tampered = mutate(ks, (j) => {
      // A different last byte whatever it was: "00" would leave 1 keystore in 256 unchanged.
      const last = j.crypto.cipher.message.slice(-2);
      j.crypto.cipher.message = `${j.crypto.cipher.message.slice(0, -2)}${last === "00" ? "01" : "00"}`;
    });
    await expect(decryptKeystore(parseKeystore(tampered, "t"), "correct horse battery")).rejects.toMatchObject({
      code: "KEYSTORE_WRONG_PASSWORD",
    });
  });

  it("detects a pubkey that is not the encrypted key's", async () => {
    const other = bls.SecretKey.fromKeygen(new Uint8Array(32).fill(9)).toPublicKey().toHex().slice(2);
    const tampered = mutate(await keystore(), (j) => {
      j.pubkey = other;
    });
    await expect(decryptKeystore(parseKeystore(tampered, "t"), "correct horse battery")).rejects.toMatchObject({
      code: "KEYSTORE_PUBKEY_MISMATCH",
    });
  });

  it.each([
    // [what, edit, code, field named in the message]
    ["version 3", (j: Record<string, any>) => (j.version = 3), "KEYSTORE_UNSUPPORTED", "version"],
    ["no crypto", (j: Record<string, any>) => delete j.crypto, "KEYSTORE_INVALID", "crypto"],
    ["no salt", (j: Record<string, any>) => delete j.crypto.kdf.params.salt, "KEYSTORE_INVALID", "crypto.kdf.params.salt"],
    ["an unknown kdf", (j: Record<string, any>) => (j.crypto.kdf.function = "argon2id"), "KEYSTORE_UNSUPPORTED", "argon2id"],
    ["scrypt n not a power of two", (j: Record<string, any>) => (j.crypto.kdf.params.n = 1000), "KEYSTORE_UNSUPPORTED", "n=1000"],
    ["scrypt n of 2^30 (a memory bomb)", (j: Record<string, any>) => (j.crypto.kdf.params.n = 2 ** 30), "KEYSTORE_UNSUPPORTED", "out of range"],
    ["an unknown cipher", (j: Record<string, any>) => (j.crypto.cipher.function = "aes-256-gcm"), "KEYSTORE_UNSUPPORTED", "aes-256-gcm"],
    ["a short IV", (j: Record<string, any>) => (j.crypto.cipher.params.iv = "00ff"), "KEYSTORE_INVALID", "crypto.cipher.params.iv"],
    ["a non-hex checksum", (j: Record<string, any>) => (j.crypto.checksum.message = "zz".repeat(32)), "KEYSTORE_INVALID", "crypto.checksum.message"],
    ["a string dklen", (j: Record<string, any>) => (j.crypto.kdf.params.dklen = "32"), "KEYSTORE_INVALID", "crypto.kdf.params.dklen"],
  ])("refuses a keystore with %s", async (_what, edit, code, named) => {
    const broken = mutate(await keystore(), edit);
    let caught: unknown;
    try {
      parseKeystore(broken, "ks.json");
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code });
    expect((caught as Error).message).toContain("ks.json");
    expect((caught as Error).message).toContain(named);
  });

  it("refuses something that is not an object", () => {
    expect(() => parseKeystore([1, 2], "ks.json")).toThrow(expect.objectContaining({ code: "KEYSTORE_INVALID" }));
  });
});
