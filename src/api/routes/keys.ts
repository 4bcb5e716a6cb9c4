import type { FastifyInstance } from "fastify";
import { serializeDepositDataFile, depositDataFileName } from "../../deposit/depositData.js";
import { KEY_STATES, type KeyState } from "../../store/schema.js";
import type { ValidatorKeyRow } from "../../store/validatorKeys.js";
import { principalOf, requireOperator } from "../auth.js";
import { bearerSecurity, errorResponses, keySchema, registrationResultSchema, uuidSchema } from "../schemas.js";
import type { ApiServices } from "../services.js";
import { operatorNotFound } from "./operators.js";

const idParams = { type: "object", required: ["id"], properties: { id: uuidSchema } } as const;

/** Batch sizes: deposit data is cheap to check (10,000 in seconds); keystores cost a KDF run each. */
export const MAX_DEPOSIT_DATA_ENTRIES = 10_000;
export const MAX_KEYSTORES = 500;
export const MAX_GENERATE = 10_000;

export function registerKeyRoutes(app: FastifyInstance, services: ApiServices): void {
  const own = (request: { params: { id: string } } & Parameters<typeof principalOf>[0]): string => {
    requireOperator(principalOf(request), request.params.id, () => operatorNotFound(request.params.id));
    return request.params.id;
  };

  app.post<{ Params: { id: string }; Body: unknown[] }>(
    "/api/v1/operators/:id/keys/deposit-data",
    {
      schema: {
        summary: "Register keys from a deposit_data file (any tool). Per-entry results; not all-or-nothing.",
        tags: ["keys"],
        security: bearerSecurity,
        params: idParams,
        body: { type: "array", minItems: 1, maxItems: MAX_DEPOSIT_DATA_ENTRIES, items: { type: "object" } },
        response: { 200: registrationResultSchema, ...errorResponses },
      },
    },
    async (request) => services.registration.registerDepositData(own(request), request.body),
  );

  app.post<{ Params: { id: string }; Body: { keystores: string[]; passwords: string[]; existing?: boolean } }>(
    "/api/v1/operators/:id/keys/keystores",
    {
      schema: {
        summary:
          "Take EIP-2335 keystores into custody (re-encrypted with the service password). New keys get deposit data signed with the protocol's credentials; " +
          "`existing: true` adopts keys that are already validators on chain. Per-keystore results.",
        tags: ["keys"],
        security: bearerSecurity,
        params: idParams,
        body: {
          type: "object",
          required: ["keystores", "passwords"],
          additionalProperties: false,
          properties: {
            keystores: { type: "array", minItems: 1, maxItems: MAX_KEYSTORES, items: { type: "string", maxLength: 16_384 } },
            passwords: { type: "array", minItems: 1, maxItems: MAX_KEYSTORES, items: { type: "string", maxLength: 1_024 } },
            existing: { type: "boolean", default: false },
          },
        },
        response: { 200: registrationResultSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { keystores, passwords, existing } = request.body;
      return services.registration.registerKeystores(own(request), keystores, passwords, { existing: existing === true });
    },
  );

  app.post<{ Params: { id: string }; Body: { pubkeys: string[] } }>(
    "/api/v1/operators/:id/keys/existing",
    {
      schema: {
        summary: "Adopt validators already active on chain, without keys (monitoring and exits only). Needs a beacon node.",
        tags: ["keys"],
        security: bearerSecurity,
        params: idParams,
        body: {
          type: "object",
          required: ["pubkeys"],
          additionalProperties: false,
          properties: { pubkeys: { type: "array", minItems: 1, maxItems: MAX_DEPOSIT_DATA_ENTRIES, items: { type: "string", maxLength: 200 } } },
        },
        response: { 200: registrationResultSchema, ...errorResponses },
      },
    },
    async (request) => services.registration.registerExisting(own(request), request.body.pubkeys),
  );

  app.post<{ Params: { id: string }; Body: { count: number } }>(
    "/api/v1/operators/:id/keys/generate",
    {
      schema: {
        summary: "Generate new keys in custody as a background job; poll GET /api/v1/jobs/{jobId}.",
        tags: ["keys"],
        security: bearerSecurity,
        params: idParams,
        body: { type: "object", required: ["count"], additionalProperties: false, properties: { count: { type: "integer", minimum: 1, maximum: MAX_GENERATE } } },
        response: { 202: { type: "object", required: ["jobId"], properties: { jobId: { type: "string" } } }, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(202).send({ jobId: await services.jobs.requestKeyGeneration(own(request), request.body.count) }),
  );

  app.get<{ Params: { id: string }; Querystring: { state?: KeyState[] } }>(
    "/api/v1/operators/:id/keys",
    {
      schema: {
        summary: "The operator's keys, optionally by lifecycle state (repeat or comma-separate `state`).",
        tags: ["keys"],
        security: bearerSecurity,
        params: idParams,
        querystring: { type: "object", additionalProperties: false, properties: { state: { type: "array", items: { type: "string", enum: [...KEY_STATES] } } } },
        response: { 200: { type: "object", required: ["keys"], properties: { keys: { type: "array", items: keySchema } } }, ...errorResponses },
      },
      preValidation: async (request) => {
        // Accept ?state=a,b as well as ?state=a&state=b.
        const query = request.query as { state?: string | string[] };
        if (typeof query.state === "string") query.state = query.state.split(",");
      },
    },
    async (request) => {
      const operatorId = own(request);
      await services.operators.get(operatorId);
      return { keys: (await services.keys.listByOperator(operatorId, request.query.state)).map(toKeyView) };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/v1/operators/:id/deposit-data",
    {
      schema: {
        summary: "Keys not yet deposited, as a deposit_data file (the deposit CLI's format; the Launchpad accepts it).",
        tags: ["keys"],
        security: bearerSecurity,
        params: idParams,
        response: { 200: { type: "array", items: { type: "object", additionalProperties: true } }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const entries = await services.registration.depositData(own(request));
      const fileName = depositDataFileName(Math.floor(services.clock.now().getTime() / 1000));
      return reply
        .header("content-type", "application/json; charset=utf-8")
        .header("content-disposition", `attachment; filename="${fileName}"`)
        .serializer((payload: string) => payload)
        .send(serializeDepositDataFile(entries));
    },
  );
}

export function toKeyView(row: ValidatorKeyRow): Record<string, unknown> {
  return {
    pubkey: row.pubkey,
    source: row.source,
    state: row.state,
    validatorIndex: row.validator_index,
    withdrawalCredentials: row.withdrawal_credentials,
    amountGwei: row.amount_gwei,
    derivationPath: row.derivation_path,
    inCustody: row.in_custody === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

