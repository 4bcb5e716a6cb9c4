import type { FastifyInstance } from "fastify";
import { ValidatorClientError } from "../../keymanager/validatorClientService.js";
import { migrationNotFound } from "../../migration/migrationService.js";
import { principalOf, requireOperator } from "../auth.js";
import { bearerSecurity, errorResponses, uuidSchema } from "../schemas.js";
import type { ApiServices } from "../services.js";

const STATES = ["requested", "removing", "waiting_offline", "importing", "done", "aborted"] as const;

const migrationSchema = {
  type: "object",
  required: ["id", "operatorId", "fromValidatorClientId", "toValidatorClientId", "offlineEpochsRequired", "createdAt", "finished", "counts", "keys"],
  properties: {
    id: { type: "string" },
    operatorId: { type: "string" },
    fromValidatorClientId: { type: "string" },
    toValidatorClientId: { type: "string" },
    offlineEpochsRequired: { type: "integer" },
    createdAt: { type: "string" },
    finished: { type: "boolean", description: "Every key done or aborted." },
    counts: { type: "object", required: [...STATES], properties: Object.fromEntries(STATES.map((s) => [s, { type: "integer" }])) },
    keys: {
      type: "array",
      items: {
        type: "object",
        required: ["pubkey", "state", "validatorIndex", "removedEpoch", "offlineEpochs", "importAttempts", "abort", "createdAt", "updatedAt", "removedAt", "finishedAt"],
        properties: {
          pubkey: { type: "string" },
          state: { type: "string", enum: [...STATES] },
          validatorIndex: { type: ["integer", "null"] },
          removedEpoch: { type: ["integer", "null"], description: "The beacon node's epoch when the source confirmed the removal; only later epochs count as offline." },
          offlineEpochs: { type: "array", items: { type: "integer" }, description: "Epochs confirmed offline (not live) so far." },
          importAttempts: { type: "integer" },
          abort: {
            type: ["object", "null"],
            required: ["code", "message", "keyIn"],
            properties: {
              code: { type: "string" },
              message: { type: "string" },
              keyIn: { type: "string", description: "Where the key is after the abort: source, neither, source or neither, elsewhere." },
            },
          },
          createdAt: { type: "string" },
          updatedAt: { type: "string" },
          removedAt: { type: ["string", "null"] },
          finishedAt: { type: ["string", "null"] },
        },
      },
    },
  },
} as const;

export function registerMigrationRoutes(app: FastifyInstance, services: ApiServices): void {
  app.post<{ Params: { id: string }; Body: { to: string; pubkeys: string[] } }>(
    "/api/v1/validator-clients/:id/migrate",
    {
      schema: {
        summary:
          "Move keys from this validator client to another of the same operator, safely: removed here with their slashing protection, " +
          "imported there once seen offline on chain for STAKEOPS_MIGRATION_OFFLINE_EPOCHS epochs. Answers at once; follow GET /api/v1/migrations/{id}.",
        tags: ["validator clients"],
        security: bearerSecurity,
        params: { type: "object", required: ["id"], properties: { id: uuidSchema } },
        body: {
          type: "object",
          required: ["to", "pubkeys"],
          additionalProperties: false,
          properties: { to: uuidSchema, pubkeys: { type: "array", minItems: 1, maxItems: 1_000, items: { type: "string", maxLength: 200 } } },
        },
        response: {
          202: {
            type: "object",
            required: ["id", "results"],
            properties: {
              id: { type: "string" },
              results: {
                type: "array",
                items: {
                  type: "object",
                  required: ["pubkey", "status"],
                  properties: { pubkey: { type: "string" }, status: { type: "string", enum: ["accepted", "rejected"] }, code: { type: "string" }, message: { type: "string" } },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const clientNotFound = (id: string) => () => new ValidatorClientError("VALIDATOR_CLIENT_NOT_FOUND", `no validator client with id ${id}`, { validatorClientId: id });
      const from = await services.clients.get(request.params.id);
      requireOperator(principal, from.operatorId, clientNotFound(from.id));
      const to = await services.clients.get(request.body.to);
      requireOperator(principal, to.operatorId, clientNotFound(to.id));
      return reply.status(202).send(await services.migrations.request(from, to, request.body.pubkeys));
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/v1/migrations/:id",
    {
      schema: {
        summary: "A key migration's progress, key by key: state, epochs confirmed offline, and why a key was aborted and where it is then.",
        tags: ["validator clients"],
        security: bearerSecurity,
        params: { type: "object", required: ["id"], properties: { id: uuidSchema } },
        response: { 200: migrationSchema, ...errorResponses },
      },
    },
    async (request) => {
      const migration = await services.migrations.get(request.params.id);
      requireOperator(principalOf(request), migration.operatorId, () => migrationNotFound(request.params.id));
      return migration;
    },
  );

  app.get(
    "/api/v1/migrations",
    {
      schema: {
        summary: "The latest 100 key migrations, newest first (an operator sees its own).",
        tags: ["validator clients"],
        security: bearerSecurity,
        response: { 200: { type: "object", required: ["migrations"], properties: { migrations: { type: "array", items: migrationSchema } } }, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return { migrations: await services.migrations.list(principal.kind === "admin" ? undefined : principal.operatorId) };
    },
  );
}
