/**
 * Key custody: keystores of keys the service holds, one file per key under
 * `<keys dir>/<operator name>/keystore-<pubkey>.json`, encrypted with the service's own password,
 * written atomically with mode 0600 and never overwritten. The database never holds a secret key.
 *
 * Custody keystores use EIP-2335 pbkdf2 (c = 2^18) rather than scrypt: the service password is
 * long and machine-generated, so a memory-hard KDF adds little, while imports into validator
 * clients decrypt every key they move (~50 ms each instead of ~1 s).
 */
import { mkdir, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { StakeopsError } from "../errors.js";
import { decryptKeystore, encryptKeystore, parseKeystore, serializeKeystore, type Keystore } from "../keygen/keystore.js";
import { createFileAtomic, errorCode } from "../util/atomicFile.js";

export class CustodyError extends StakeopsError<"CUSTODY_KEY_MISSING" | "CUSTODY_KEY_UNREADABLE"> {}

export const CUSTODY_FILE_MODE = 0o600;

export interface KeyCustodyOptions {
  readonly dir: string;
  readonly password: string;
}

export class KeyCustody {
  constructor(private readonly options: KeyCustodyOptions) {}

  /** Encrypts a secret key with the service password (the caller zeroes its copy). */
  encrypt(secretKey: Uint8Array, path: string): Promise<Keystore> {
    return encryptKeystore(secretKey, this.options.password, { kdf: "pbkdf2", path });
  }

  async store(operatorName: string, keystore: Keystore): Promise<string> {
    const folder = join(this.options.dir, operatorName);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const file = this.fileOf(operatorName, `0x${keystore.pubkey}`);
    await createFileAtomic(file, serializeKeystore(keystore), { mode: CUSTODY_FILE_MODE });
    return file;
  }

  async load(operatorName: string, pubkey: string): Promise<Keystore> {
    const file = this.fileOf(operatorName, pubkey);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if (errorCode(error) === "ENOENT") {
        throw new CustodyError("CUSTODY_KEY_MISSING", `no keystore in custody for ${pubkey} (expected ${file})`, { pubkey });
      }
      throw error;
    }
    try {
      return parseKeystore(JSON.parse(text), file);
    } catch (cause) {
      throw new CustodyError("CUSTODY_KEY_UNREADABLE", `custody keystore ${file} is unreadable`, { pubkey }, { cause });
    }
  }

  /** The secret key of a key in custody, and its derivation path (the caller zeroes the key). */
  async open(operatorName: string, pubkey: string): Promise<{ secretKey: Uint8Array; path: string }> {
    const keystore = await this.load(operatorName, pubkey);
    return { secretKey: (await decryptKeystore(keystore, this.options.password)).secretKey, path: keystore.path };
  }

  /** Only to undo a store whose registration failed. */
  async remove(operatorName: string, pubkey: string): Promise<void> {
    await unlink(this.fileOf(operatorName, pubkey)).catch((error: unknown) => {
      if (errorCode(error) !== "ENOENT") throw error;
    });
  }

  private fileOf(operatorName: string, pubkey: string): string {
    return join(this.options.dir, operatorName, `keystore-${pubkey.replace(/^0x/, "")}.json`);
  }
}
