import { StakeopsError } from "../errors.js";

export interface ConfigProblem {
  /** The environment variable (or config-file key) at fault. */
  readonly setting: string;
  readonly message: string;
}

/** Every configuration problem at once, so one restart fixes them all. */
export class ConfigError extends StakeopsError<"CONFIG_INVALID", { readonly problems: readonly ConfigProblem[] }> {
  constructor(problems: readonly ConfigProblem[]) {
    super(
      "CONFIG_INVALID",
      `invalid configuration:\n${problems.map((p) => `  ${p.setting}: ${p.message}`).join("\n")}`,
      { problems },
    );
  }
}
