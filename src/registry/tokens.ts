/**
 * Bearer tokens. Operator tokens are random, shown once, and stored only as a SHA-256 hash (a
 * token has 256 bits of entropy, so a slow hash adds nothing). Comparisons are constant-time.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const OPERATOR_TOKEN_PREFIX = "sop_";

export function newOperatorToken(): string {
  return `${OPERATOR_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Constant-time equality of two secrets of any length (compares their hashes). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

export function looksLikeOperatorToken(token: string): boolean {
  return token.startsWith(OPERATOR_TOKEN_PREFIX);
}
