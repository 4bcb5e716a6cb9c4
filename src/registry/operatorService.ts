/** Operators: creation (with their token, shown once), listing, enabling/disabling and key limits. */
import { randomUUID } from "node:crypto";
import { parseAddress, toChecksumAddress } from "../chain/address.js";
import { isUniqueViolation } from "../store/constraint.js";
import type { OperatorRow, OperatorsRepository } from "../store/operators.js";
import { isoNow, type Clock } from "./clock.js";
import { RegistryError } from "./errors.js";
import { hashToken, newOperatorToken } from "./tokens.js";

/** Operator names double as custody folder names: keep them path-safe. */
const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export interface Operator {
  readonly id: string;
  readonly name: string;
  readonly rewardAddress: string | null;
  readonly active: boolean;
  readonly keyLimit: number | null;
  readonly createdAt: string;
}

export interface OperatorServiceDependencies {
  readonly operators: OperatorsRepository;
  readonly clock: Clock;
}

export class OperatorService {
  constructor(private readonly deps: OperatorServiceDependencies) {}

  async create(input: { name: string; rewardAddress?: string | undefined; keyLimit?: number | undefined }): Promise<{ operator: Operator; token: string }> {
    if (!NAME_PATTERN.test(input.name)) {
      throw new RegistryError(
        "OPERATOR_NAME_INVALID",
        `operator name "${input.name}" must be 1-63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit`,
        { name: input.name },
      );
    }
    const rewardAddress =
      input.rewardAddress === undefined ? null : toChecksumAddress(parseAddress(input.rewardAddress, { flag: "rewardAddress", requireChecksum: false }));
    const token = newOperatorToken();
    const at = isoNow(this.deps.clock);
    const row: OperatorRow = {
      id: randomUUID(),
      name: input.name,
      reward_address: rewardAddress,
      active: 1,
      key_limit: input.keyLimit ?? null,
      token_hash: hashToken(token),
      created_at: at,
      updated_at: at,
    };
    try {
      await this.deps.operators.insert(row);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new RegistryError("OPERATOR_NAME_TAKEN", `an operator named "${input.name}" already exists`, { name: input.name });
      }
      throw error;
    }
    return { operator: toOperator(row), token };
  }

  async get(id: string): Promise<Operator> {
    const row = await this.deps.operators.findById(id);
    if (row === undefined) throw new RegistryError("OPERATOR_NOT_FOUND", `no operator with id ${id}`, { operatorId: id });
    return toOperator(row);
  }

  async list(): Promise<Operator[]> {
    return (await this.deps.operators.list()).map(toOperator);
  }

  async update(id: string, changes: { active?: boolean | undefined; keyLimit?: number | null | undefined }): Promise<Operator> {
    await this.get(id);
    await this.deps.operators.update(
      id,
      {
        ...(changes.active === undefined ? {} : { active: changes.active ? 1 : 0 }),
        ...(changes.keyLimit === undefined ? {} : { key_limit: changes.keyLimit }),
      },
      isoNow(this.deps.clock),
    );
    return this.get(id);
  }

  /** The operator a bearer token belongs to, if any. */
  async findByToken(token: string): Promise<Operator | undefined> {
    const row = await this.deps.operators.findByTokenHash(hashToken(token));
    return row === undefined ? undefined : toOperator(row);
  }
}

export function toOperator(row: OperatorRow): Operator {
  return {
    id: row.id,
    name: row.name,
    rewardAddress: row.reward_address,
    active: row.active === 1,
    keyLimit: row.key_limit,
    createdAt: row.created_at,
  };
}
