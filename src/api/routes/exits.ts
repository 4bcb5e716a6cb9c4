import type { FastifyInstance } from "fastify";
import { principalOf, requireAdmin, requireOperator } from "../auth.js";
import { bearerSecurity, errorResponses, uuidSchema } from "../schemas.js";
import type { ApiServices } from "../services.js";
import { operatorNotFound } from "./operators.js";

const anyObject = { type: "object", additionalProperties: true } as const;

export function registerExitRoutes(app: FastifyInstance, services: ApiServices): void {
  const policyAnswer = async (): Promise<Record<string, unknown>> => {
    const exits = services.exits;
    const { policy, source, updatedAt } = await exits.policy();
    return { policy, source, updatedAt, dryRun: exits.dryRun };
  };

  app.get(
    "/api/v1/exit-policy",
    {
      schema: { summary: "The exit policy in force (defaults filled in), where it comes from, and whether exits are a dry run.", tags: ["exits"], security: bearerSecurity, response: { 200: anyObject, ...errorResponses } },
    },
    async (request) => {
      requireAdmin(principalOf(request));
      return policyAnswer();
    },
  );

  app.put<{ Body: Record<string, unknown> }>(
    "/api/v1/exit-policy",
    {
      schema: {
        summary: "Replace the exit policy. Unspecified fields take their documented defaults; a bad document is refused whole.",
        tags: ["exits"],
        security: bearerSecurity,
        body: { type: "object" },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      requireAdmin(principalOf(request));
      await services.exits.setPolicy(request.body);
      return policyAnswer();
    },
  );

  app.get(
    "/api/v1/exits",
    {
      schema: { summary: "Exits (state, signing source, EIP-7002 requests) and the audit log of every exit decision.", tags: ["exits"], security: bearerSecurity, response: { 200: anyObject, ...errorResponses } },
    },
    async (request) => {
      const principal = principalOf(request);
      return services.exits.list(principal.kind === "admin" ? undefined : principal.operatorId);
    },
  );

  app.post<{ Params: { id: string }; Body: unknown[] }>(
    "/api/v1/operators/:id/exits/presigned",
    {
      schema: {
        summary: "Upload pre-signed voluntary exits (the deposit CLI's format); each signature is verified against the chain's exit domain, then stored encrypted.",
        tags: ["exits"],
        security: bearerSecurity,
        params: { type: "object", required: ["id"], properties: { id: uuidSchema } },
        body: { type: "array", minItems: 1, maxItems: 10_000, items: { type: "object" } },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      requireOperator(principalOf(request), request.params.id, () => operatorNotFound(request.params.id));
      return { results: await services.exits.uploadPresigned(request.params.id, request.body) };
    },
  );

  app.post<{ Params: { pubkey: string }; Body: { dryRun?: boolean } | undefined }>(
    "/api/v1/validators/:pubkey/exit",
    {
      schema: {
        summary: "Exit one validator now (admin, or its operator). Guards and eligibility apply; `dryRun` defaults to STAKEOPS_EXIT_DRY_RUN.",
        tags: ["exits"],
        security: bearerSecurity,
        params: { type: "object", required: ["pubkey"], properties: { pubkey: { type: "string", pattern: "^0x[0-9a-fA-F]{96}$" } } },
        body: { type: "object", additionalProperties: false, properties: { dryRun: { type: "boolean" } } },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const dryRun = request.body?.dryRun;
      return services.exits.manualExit(request.params.pubkey, {
        ...(dryRun === undefined ? {} : { dryRun }),
        ...(principal.kind === "admin" ? {} : { operatorId: principal.operatorId }),
      });
    },
  );
}
