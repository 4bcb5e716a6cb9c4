import type { FastifyInstance } from "fastify";
import { ValidatorClientError } from "../../keymanager/validatorClientService.js";
import { principalOf, requireOperator } from "../auth.js";
import { bearerSecurity, errorResponses, findingSchema, transferResultSchema, uuidSchema, validatorClientSchema } from "../schemas.js";
import type { ApiServices } from "../services.js";
import { operatorNotFound } from "./operators.js";

const idParams = { type: "object", required: ["id"], properties: { id: uuidSchema } } as const;
const pubkeysBody = {
  type: "object",
  required: ["pubkeys"],
  additionalProperties: false,
  properties: { pubkeys: { type: "array", minItems: 1, maxItems: 1_000, items: { type: "string", maxLength: 200 } } },
} as const;

export function registerValidatorClientRoutes(app: FastifyInstance, services: ApiServices): void {
  /** The client, if the caller may use it; another operator's client looks like a missing one. */
  const clientFor = async (request: Parameters<typeof principalOf>[0], id: string) => {
    const client = await services.clients.get(id);
    requireOperator(principalOf(request), client.operatorId, () => new ValidatorClientError("VALIDATOR_CLIENT_NOT_FOUND", `no validator client with id ${id}`, { validatorClientId: id }));
    return client;
  };

  app.post<{ Params: { id: string }; Body: { url: string; token: string } }>(
    "/api/v1/operators/:id/validator-clients",
    {
      schema: {
        summary: "Register a validator client by its Keymanager API URL and token (checked now, stored encrypted, never shown again).",
        tags: ["validator clients"],
        security: bearerSecurity,
        params: idParams,
        body: {
          type: "object",
          required: ["url", "token"],
          additionalProperties: false,
          properties: { url: { type: "string", minLength: 1, maxLength: 2_048 }, token: { type: "string", minLength: 1, maxLength: 4_096 } },
        },
        response: { 201: validatorClientSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      requireOperator(principalOf(request), request.params.id, () => operatorNotFound(request.params.id));
      await services.operators.get(request.params.id);
      return reply.status(201).send(await services.clients.register(request.params.id, request.body.url, request.body.token));
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/v1/operators/:id/validator-clients",
    {
      schema: {
        summary: "The operator's validator clients.",
        tags: ["validator clients"],
        security: bearerSecurity,
        params: idParams,
        response: { 200: { type: "object", required: ["validatorClients"], properties: { validatorClients: { type: "array", items: validatorClientSchema } } }, ...errorResponses },
      },
    },
    async (request) => {
      requireOperator(principalOf(request), request.params.id, () => operatorNotFound(request.params.id));
      await services.operators.get(request.params.id);
      return { validatorClients: await services.clients.list(request.params.id) };
    },
  );

  app.post<{ Params: { id: string }; Body: { pubkeys: string[] } }>(
    "/api/v1/validator-clients/:id/keys",
    {
      schema: {
        summary:
          "Import keys in custody into the validator client (POST /eth/v1/keystores), with every slashing protection record kept for them. " +
          "Refused for a key live in another client. Per-key results.",
        tags: ["validator clients"],
        security: bearerSecurity,
        params: idParams,
        body: pubkeysBody,
        response: { 200: { type: "object", required: ["results"], properties: { results: { type: "array", items: transferResultSchema } } }, ...errorResponses },
      },
    },
    async (request) => {
      const client = await clientFor(request, request.params.id);
      return { results: await services.transfer.importKeys(client.id, request.body.pubkeys) };
    },
  );

  app.delete<{ Params: { id: string }; Body: { pubkeys: string[] } }>(
    "/api/v1/validator-clients/:id/keys",
    {
      schema: {
        summary: "Remove keys from the validator client (DELETE /eth/v1/keystores); its slashing protection is kept and returned.",
        tags: ["validator clients"],
        security: bearerSecurity,
        params: idParams,
        body: pubkeysBody,
        response: {
          200: {
            type: "object",
            required: ["results", "slashingProtection"],
            properties: {
              results: { type: "array", items: transferResultSchema },
              slashingProtection: { type: ["string", "null"], description: "EIP-3076 interchange JSON as the client returned it." },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const client = await clientFor(request, request.params.id);
      return services.transfer.removeKeys(client.id, request.body.pubkeys);
    },
  );

  app.get(
    "/api/v1/inventory/findings",
    {
      schema: {
        summary: "Open findings of the validator-client inventory (a key in two clients, unknown keys, missing keys, unreachable clients).",
        tags: ["validator clients"],
        security: bearerSecurity,
        response: { 200: { type: "object", required: ["findings"], properties: { findings: { type: "array", items: findingSchema } } }, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const rows = await services.findings.listOpen(principal.kind === "admin" ? undefined : principal.operatorId);
      return {
        findings: rows.map((f) => ({
          kind: f.kind,
          severity: f.severity,
          pubkey: f.pubkey,
          validatorClientId: f.validator_client_id,
          operatorId: f.operator_id,
          details: JSON.parse(f.details) as unknown,
          firstSeen: f.first_seen,
          lastSeen: f.last_seen,
        })),
      };
    },
  );
}
