/**
 * EIP-2335 password processing: NFKD, then strip the C0 and C1 control codes and DEL
 * (U+0000-U+001F, U+007F-U+009F), then UTF-8. The deposit CLI strips the same set.
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CODES = /[\u0000-\u001f\u007f-\u009f]/gu;

export function normalizePassword(password: string): string {
  return password.normalize("NFKD").replace(CONTROL_CODES, "");
}

export function passwordBytes(password: string): Buffer {
  return Buffer.from(normalizePassword(password), "utf8");
}

/** The deposit CLI refuses keystore passwords shorter than 8 characters; so do we. */
export const MIN_PASSWORD_LENGTH = 8;
