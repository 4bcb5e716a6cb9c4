/**
 * Small secrets at rest (validator-client API tokens): AES-256-GCM under a key derived with HKDF
 * from the service password, so a database dump alone does not hand out the tokens.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { StakeopsError } from "../errors.js";

export class SecretBoxError extends StakeopsError<"SECRET_UNREADABLE"> {}

const VERSION = "v1";

export class SecretBox {
  private readonly key: Buffer;

  constructor(password: string, purpose: string) {
    this.key = Buffer.from(hkdfSync("sha256", Buffer.from(password, "utf8"), Buffer.from("stakeops secret box"), Buffer.from(purpose), 32));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
  }

  open(sealed: string): string {
    const [version, iv, tag, ciphertext] = sealed.split(".");
    if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined) {
      throw new SecretBoxError("SECRET_UNREADABLE", "stored secret has an unknown format", {});
    }
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
    } catch (cause) {
      throw new SecretBoxError(
        "SECRET_UNREADABLE",
        "a stored secret cannot be decrypted: was the service password (STAKEOPS_KEYSTORE_PASSWORD) changed?",
        {},
        { cause },
      );
    }
  }
}
