/**
 * Base class of every error stakeops raises on purpose.
 *
 * Callers branch on `code` (a stable string), never on `message`; `details` carries the typed
 * facts behind the message (a file, a field, an index) so that the CLI and, later, the HTTP API can
 * present them without parsing text. Each module declares its own subclass and code union in its
 * own `errors.ts`.
 */
export class StakeopsError<
  Code extends string = string,
  Details extends Readonly<Record<string, unknown>> = Readonly<Record<string, unknown>>,
> extends Error {
  readonly code: Code;
  readonly details: Details;

  constructor(code: Code, message: string, details: Details, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

export function isStakeopsError(value: unknown): value is StakeopsError {
  return value instanceof StakeopsError;
}

/** Bad user input that is not specific to one module: flags, files, values out of range. */
export type InputErrorCode =
  | "INVALID_ARGUMENT"
  | "INVALID_ADDRESS"
  | "INVALID_AMOUNT"
  | "INVALID_HEX"
  | "UNKNOWN_NETWORK"
  | "MISSING_INPUT"
  | "FILE_UNREADABLE"
  | "INVALID_JSON";

export class InputError extends StakeopsError<InputErrorCode> {}
