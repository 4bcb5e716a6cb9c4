/**
 * EIP-2335 keystores (version 4): encryption and decryption of a BLS secret key, on node:crypto
 * (scrypt, pbkdf2, AES-128-CTR, SHA-256). The JSON has the fields and field order the deposit CLI
 * writes: crypto, description, pubkey, path, uuid, version.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  pbkdf2,
  pbkdf2Sync,
  randomBytes,
  randomUUID,
  scrypt,
  scryptSync,
  timingSafeEqual,
} from "node:crypto";
import { promisify } from "node:util";
import { bls } from "../crypto/bls.js";
import { parseHex, toHex } from "../util/hex.js";
import { pythonJsonDumps, type PythonJsonValue } from "../util/pythonJson.js";
import {
  JsonFieldError,
  asObject,
  field,
  integerField,
  objectField,
  optionalStringField,
  stringField,
  type JsonObject,
} from "../util/jsonFields.js";
import { KeystoreError } from "./errors.js";
import { MIN_PASSWORD_LENGTH, normalizePassword, passwordBytes } from "./password.js";

export type KdfName = "scrypt" | "pbkdf2";

export interface ScryptParams {
  readonly dklen: number;
  readonly n: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
}

export interface Pbkdf2Params {
  readonly dklen: number;
  readonly c: number;
  readonly prf: "hmac-sha256";
  readonly salt: string;
}

export type KdfModule =
  | { readonly function: "scrypt"; readonly params: ScryptParams; readonly message: "" }
  | { readonly function: "pbkdf2"; readonly params: Pbkdf2Params; readonly message: "" };

export interface Keystore {
  readonly crypto: {
    readonly kdf: KdfModule;
    readonly checksum: { readonly function: "sha256"; readonly params: Record<string, never>; readonly message: string };
    readonly cipher: {
      readonly function: "aes-128-ctr";
      readonly params: { readonly iv: string };
      readonly message: string;
    };
  };
  readonly description: string;
  readonly pubkey: string;
  readonly path: string;
  readonly uuid: string;
  readonly version: 4;
}

/** EIP-2335 defaults, also the deposit CLI's: scrypt n=2^18 r=8 p=1, pbkdf2 c=2^18, 32-byte keys and salts. */
export const DEFAULT_SCRYPT = { dklen: 32, n: 262144, r: 8, p: 1 } as const;
export const DEFAULT_PBKDF2 = { dklen: 32, c: 262144, prf: "hmac-sha256" } as const;
const SALT_BYTES = 32;
const IV_BYTES = 16;

/**
 * Upper bounds on KDF cost accepted when decrypting someone else's keystore: generous enough for
 * every real keystore (the defaults are 2^18), small enough that a hostile file cannot make us
 * allocate gigabytes or spin for minutes.
 */
const MAX_SCRYPT_N = 2 ** 20;
const MAX_SCRYPT_RP = 64;
const MAX_PBKDF2_C = 2 ** 24;

export interface EncryptOptions {
  readonly kdf: KdfName;
  readonly path: string;
  readonly description?: string;
  /** Test hooks: the EIP-2335 vectors fix salt, IV and uuid. Never set in production. */
  readonly salt?: Uint8Array;
  readonly iv?: Uint8Array;
  readonly uuid?: string;
  /** Cheaper KDF parameters for tests only; the CLI always uses the defaults. */
  readonly scrypt?: { readonly n: number; readonly r: number; readonly p: number };
  readonly pbkdf2?: { readonly c: number };
}

export function assertPasswordStrength(password: string): void {
  if ([...normalizePassword(password)].length < MIN_PASSWORD_LENGTH) {
    throw new KeystoreError(
      "KEYSTORE_WEAK_PASSWORD",
      `the keystore password must be at least ${MIN_PASSWORD_LENGTH} characters long (after EIP-2335 normalization)`,
      {},
    );
  }
}

/** Synchronous, for worker threads whose whole job is this call. */
export function encryptKeystoreSync(secretKey: Uint8Array, password: string, options: EncryptOptions): Keystore {
  const kdf = newKdfModule(options);
  const derived = deriveKeySync(kdf, passwordBytes(password));
  return sealKeystore(secretKey, derived, kdf, options);
}

export async function encryptKeystore(secretKey: Uint8Array, password: string, options: EncryptOptions): Promise<Keystore> {
  const kdf = newKdfModule(options);
  const derived = await deriveKey(kdf, passwordBytes(password));
  return sealKeystore(secretKey, derived, kdf, options);
}

export interface DecryptedKeystore {
  readonly secretKey: Uint8Array;
  readonly pubkey: Uint8Array;
}

/** Decrypts and checks: checksum (the password), and that the secret matches the stated pubkey. */
export async function decryptKeystore(keystore: Keystore, password: string): Promise<DecryptedKeystore> {
  const derived = await deriveKey(keystore.crypto.kdf, passwordBytes(password));
  return openKeystore(keystore, derived);
}

/** One line with Python json.dumps separators: the bytes the deposit CLI writes. */
export function serializeKeystore(keystore: Keystore): string {
  return pythonJsonDumps(keystore as unknown as PythonJsonValue);
}

/** Validates the shape of a parsed keystore JSON; every problem names the field. */
export function parseKeystore(json: unknown, source: string): Keystore {
  try {
    return readKeystore(asObject(json, "keystore"));
  } catch (error) {
    if (error instanceof JsonFieldError) {
      throw new KeystoreError("KEYSTORE_INVALID", `${source}: not an EIP-2335 keystore: ${error.message}`, {
        source,
        field: error.path,
      });
    }
    if (error instanceof KeystoreError) {
      throw new KeystoreError(error.code, `${source}: ${error.message}`, { ...error.details, source }, { cause: error });
    }
    throw error;
  }
}

function newKdfModule(options: EncryptOptions): KdfModule {
  const salt = toHex(options.salt ?? randomBytes(SALT_BYTES));
  if (options.kdf === "scrypt") {
    const cost = options.scrypt ?? DEFAULT_SCRYPT;
    // Field order as the deposit CLI writes it: dklen, n, r, p, then salt.
    return { function: "scrypt", params: { dklen: DEFAULT_SCRYPT.dklen, n: cost.n, r: cost.r, p: cost.p, salt }, message: "" };
  }
  const c = options.pbkdf2?.c ?? DEFAULT_PBKDF2.c;
  return { function: "pbkdf2", params: { c, dklen: DEFAULT_PBKDF2.dklen, prf: "hmac-sha256", salt }, message: "" };
}

function sealKeystore(secretKey: Uint8Array, derived: Buffer, kdf: KdfModule, options: EncryptOptions): Keystore {
  const iv = options.iv ?? randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-128-ctr", derived.subarray(0, 16), iv);
  const ciphertext = Buffer.concat([cipher.update(secretKey), cipher.final()]);
  const checksum = createHash("sha256").update(derived.subarray(16, 32)).update(ciphertext).digest();
  const pubkey = bls.SecretKey.fromBytes(secretKey).toPublicKey().toBytes();
  return {
    crypto: {
      kdf,
      checksum: { function: "sha256", params: {}, message: toHex(checksum) },
      cipher: { function: "aes-128-ctr", params: { iv: toHex(iv) }, message: toHex(ciphertext) },
    },
    description: options.description ?? "",
    pubkey: toHex(pubkey),
    path: options.path,
    uuid: options.uuid ?? randomUUID(),
    version: 4,
  };
}

function openKeystore(keystore: Keystore, derived: Buffer): DecryptedKeystore {
  const ciphertext = Buffer.from(keystore.crypto.cipher.message, "hex");
  const expected = Buffer.from(keystore.crypto.checksum.message, "hex");
  const actual = createHash("sha256").update(derived.subarray(16, 32)).update(ciphertext).digest();
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw new KeystoreError(
      "KEYSTORE_WRONG_PASSWORD",
      "wrong password: the keystore checksum does not match (or the keystore was modified)",
      {},
    );
  }
  const decipher = createDecipheriv("aes-128-ctr", derived.subarray(0, 16), Buffer.from(keystore.crypto.cipher.params.iv, "hex"));
  const secretKey = new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
  let pubkey: Uint8Array;
  try {
    pubkey = bls.SecretKey.fromBytes(secretKey).toPublicKey().toBytes();
  } catch (cause) {
    throw new KeystoreError("KEYSTORE_INVALID", "the decrypted secret is not a valid BLS secret key", {}, { cause });
  }
  if (keystore.pubkey !== "" && toHex(pubkey) !== keystore.pubkey.toLowerCase()) {
    throw new KeystoreError(
      "KEYSTORE_PUBKEY_MISMATCH",
      `the decrypted key belongs to 0x${toHex(pubkey)}, not to the keystore's pubkey 0x${keystore.pubkey}: the file was tampered with`,
      { expected: keystore.pubkey, actual: toHex(pubkey) },
    );
  }
  return { secretKey, pubkey };
}

const scryptAsync = promisify(scrypt) as (
  password: Buffer,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;
const pbkdf2Async = promisify(pbkdf2);

function deriveKey(kdf: KdfModule, password: Buffer): Promise<Buffer> {
  const salt = Buffer.from(kdf.params.salt, "hex");
  if (kdf.function === "scrypt") {
    const { n, r, p, dklen } = kdf.params;
    return scryptAsync(password, salt, dklen, { N: n, r, p, maxmem: scryptMemory(n, r, p) });
  }
  return pbkdf2Async(password, salt, kdf.params.c, kdf.params.dklen, "sha256");
}

function deriveKeySync(kdf: KdfModule, password: Buffer): Buffer {
  const salt = Buffer.from(kdf.params.salt, "hex");
  if (kdf.function === "scrypt") {
    const { n, r, p, dklen } = kdf.params;
    return scryptSync(password, salt, dklen, { N: n, r, p, maxmem: scryptMemory(n, r, p) });
  }
  return pbkdf2Sync(password, salt, kdf.params.c, kdf.params.dklen, "sha256");
}

/** scrypt needs 128·N·r·p bytes (plus a little); Node's default cap (32 MiB) is below the EIP-2335 default. */
function scryptMemory(n: number, r: number, p: number): number {
  return 128 * n * r * p + 16 * 1024 * 1024;
}

function readKeystore(o: JsonObject): Keystore {
  const version = field(o, "version", "");
  if (version !== 4) {
    throw new KeystoreError("KEYSTORE_UNSUPPORTED", `version must be 4 (EIP-2335), got ${JSON.stringify(version)}`, {});
  }
  const crypto = objectField(o, "crypto", "");
  const kdfObject = objectField(crypto, "kdf", "crypto");
  const checksumObject = objectField(crypto, "checksum", "crypto");
  const cipherObject = objectField(crypto, "cipher", "crypto");

  const kdf = readKdf(kdfObject);
  const checksumFunction = stringField(checksumObject, "function", "crypto.checksum");
  if (checksumFunction !== "sha256") {
    throw new KeystoreError("KEYSTORE_UNSUPPORTED", `crypto.checksum.function "${checksumFunction}" is not supported (sha256)`, {});
  }
  const cipherFunction = stringField(cipherObject, "function", "crypto.cipher");
  if (cipherFunction !== "aes-128-ctr") {
    throw new KeystoreError("KEYSTORE_UNSUPPORTED", `crypto.cipher.function "${cipherFunction}" is not supported (aes-128-ctr)`, {});
  }
  const cipherParams = objectField(cipherObject, "params", "crypto.cipher");
  const iv = hexField(cipherParams, "iv", "crypto.cipher.params", 16);
  const checksum = hexField(checksumObject, "message", "crypto.checksum", 32);
  const ciphertext = hexField(cipherObject, "message", "crypto.cipher", 32);
  const pubkey = optionalStringField(o, "pubkey", "") ?? "";
  if (pubkey !== "") hexField(o, "pubkey", "", 48);
  return {
    crypto: {
      kdf,
      checksum: { function: "sha256", params: {}, message: checksum },
      cipher: { function: "aes-128-ctr", params: { iv }, message: ciphertext },
    },
    description: optionalStringField(o, "description", "") ?? "",
    pubkey: pubkey.toLowerCase(),
    path: stringField(o, "path", ""),
    uuid: stringField(o, "uuid", ""),
    version: 4,
  };
}

function readKdf(kdfObject: JsonObject): KdfModule {
  const name = stringField(kdfObject, "function", "crypto.kdf");
  const params = objectField(kdfObject, "params", "crypto.kdf");
  const salt = hexField(params, "salt", "crypto.kdf.params");
  const dklen = integerField(params, "dklen", "crypto.kdf.params");
  if (dklen !== 32) {
    throw new KeystoreError("KEYSTORE_UNSUPPORTED", `crypto.kdf.params.dklen must be 32, got ${dklen}`, {});
  }
  if (name === "scrypt") {
    const n = integerField(params, "n", "crypto.kdf.params");
    const r = integerField(params, "r", "crypto.kdf.params");
    const p = integerField(params, "p", "crypto.kdf.params");
    if (n < 2 || (n & (n - 1)) !== 0 || n > MAX_SCRYPT_N || r < 1 || p < 1 || r * p > MAX_SCRYPT_RP) {
      throw new KeystoreError(
        "KEYSTORE_UNSUPPORTED",
        `scrypt parameters n=${n} r=${r} p=${p} are out of range (n a power of two up to 2^20, r·p up to ${MAX_SCRYPT_RP})`,
        {},
      );
    }
    return { function: "scrypt", params: { dklen, n, r, p, salt }, message: "" };
  }
  if (name === "pbkdf2") {
    const c = integerField(params, "c", "crypto.kdf.params");
    const prf = stringField(params, "prf", "crypto.kdf.params");
    if (prf !== "hmac-sha256") {
      throw new KeystoreError("KEYSTORE_UNSUPPORTED", `pbkdf2 prf "${prf}" is not supported (hmac-sha256)`, {});
    }
    if (c < 1 || c > MAX_PBKDF2_C) {
      throw new KeystoreError("KEYSTORE_UNSUPPORTED", `pbkdf2 c=${c} is out of range (1..2^24)`, {});
    }
    return { function: "pbkdf2", params: { c, dklen, prf, salt }, message: "" };
  }
  throw new KeystoreError("KEYSTORE_UNSUPPORTED", `crypto.kdf.function "${name}" is not supported (scrypt or pbkdf2)`, {});
}

function hexField(o: JsonObject, key: string, path: string, bytes?: number): string {
  const value = stringField(o, key, path);
  const where = path === "" ? key : `${path}.${key}`;
  try {
    parseHex(value, { what: where, prefix: "forbidden", ...(bytes === undefined ? {} : { bytes }) });
  } catch (cause) {
    throw new KeystoreError("KEYSTORE_INVALID", cause instanceof Error ? cause.message : `${where}: invalid hex`, { field: where }, { cause });
  }
  return value.toLowerCase();
}
