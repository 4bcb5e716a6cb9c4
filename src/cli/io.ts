/** Everything a command touches outside its arguments, so commands run in-process in tests. */
export interface CliInput extends NodeJS.ReadableStream {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface CliOutput {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

export interface CliIo {
  readonly stdout: CliOutput;
  readonly stderr: CliOutput;
  readonly stdin: CliInput;
  readonly now: () => Date;
  /** Environment variables (the service's configuration). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Interrupts long work (SIGINT/SIGTERM in the real process). */
  readonly signal?: AbortSignal;
}

/** Prompts are allowed only when a person is at a terminal; CI and pipes get a clear error instead. */
export function canPrompt(io: CliIo): boolean {
  return io.stdin.isTTY === true && io.stderr.isTTY === true;
}
