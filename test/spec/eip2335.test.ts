/** EIP-2335 keystores against the EIP's scrypt and pbkdf2 vectors and its password processing. */
import { describe, expect, it } from "vitest";
import { decryptKeystore, encryptKeystore, parseKeystore } from "../../src/keygen/keystore.js";
import { normalizePassword, passwordBytes } from "../../src/keygen/password.js";
import { bytesToHex, hexToBytes, sharedVectorText, vectorText } from "../helpers/vectors.js";

interface Eip2335Vectors {
  password_processing: { examples_COMPUTED: { input_json: string; processed_utf8_hex: string; note: string }[] };
  test_vectors: {
    name: string;
    password: string;
    encoded_password_hex: string;
    secret_hex: string;
    expected_pubkey: string;
    keystore: Record<string, unknown> & {
      crypto: { kdf: { params: { salt: string } }; cipher: { params: { iv: string } } };
      uuid: string;
      path: string;
      description: string;
    };
  }[];
}

const vectors = JSON.parse(vectorText("eip2335.json")) as Eip2335Vectors;

describe("EIP-2335 vectors", () => {
  it("the vendored copy equals ../shared/vectors when that is present", () => {
    const shared = sharedVectorText("eip2335.json");
    if (shared !== null) expect(vectorText("eip2335.json")).toBe(shared);
    expect(vectors.test_vectors.map((v) => v.name)).toEqual(["Scrypt Test Vector", "PBKDF2 Test Vector"]);
  });

  it.each(vectors.password_processing.examples_COMPUTED)("password processing: $note", (example) => {
    expect(`0x${passwordBytes(example.input_json).toString("hex")}`).toBe(example.processed_utf8_hex);
  });

  it.each(vectors.test_vectors)("$name: the password encodes to the vector's bytes", (v) => {
    expect(`0x${Buffer.from(normalizePassword(v.password), "utf8").toString("hex")}`).toBe(v.encoded_password_hex);
  });

  it.each(vectors.test_vectors)("$name: decrypts to the vector's secret and pubkey", async (v) => {
    const keystore = parseKeystore(v.keystore, v.name);
    const { secretKey, pubkey } = await decryptKeystore(keystore, v.password);
    expect(`0x${bytesToHex(secretKey)}`).toBe(v.secret_hex);
    expect(bytesToHex(pubkey)).toBe(v.expected_pubkey);
  });

  it.each(vectors.test_vectors)("$name: encrypting with the vector's salt and IV gives its ciphertext and checksum", async (v) => {
    const kdf = v.keystore.crypto.kdf as unknown as { function: "scrypt" | "pbkdf2" };
    const encrypted = await encryptKeystore(hexToBytes(v.secret_hex), v.password, {
      kdf: kdf.function,
      path: v.keystore.path,
      description: v.keystore.description,
      salt: hexToBytes(v.keystore.crypto.kdf.params.salt),
      iv: hexToBytes(v.keystore.crypto.cipher.params.iv),
      uuid: v.keystore.uuid,
    });
    // Same fields and values as the vector (field order is the deposit CLI's, checked in the compat tests).
    expect(JSON.parse(JSON.stringify(encrypted))).toEqual(v.keystore);
  });

  it.each(vectors.test_vectors)("$name: a wrong password is refused with KEYSTORE_WRONG_PASSWORD", async (v) => {
    const keystore = parseKeystore(v.keystore, v.name);
    await expect(decryptKeystore(keystore, `${v.password}x`)).rejects.toMatchObject({ code: "KEYSTORE_WRONG_PASSWORD" });
  });
});
