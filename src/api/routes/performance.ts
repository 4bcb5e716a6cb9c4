import type { FastifyInstance } from "fastify";
import { principalOf, requireOperator } from "../auth.js";
import { bearerSecurity, errorResponses, uuidSchema } from "../schemas.js";
import type { ApiServices } from "../services.js";
import { PerformanceQueryError } from "../../monitor/performanceQuery.js";
import { operatorNotFound } from "./operators.js";

const rangeQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    from: { type: "string", pattern: "^(0|[1-9][0-9]{0,14})$", description: "First epoch (default: 9 before `to`)." },
    to: { type: "string", pattern: "^(0|[1-9][0-9]{0,14})$", description: "Last epoch (default: the last one the monitor dealt with)." },
  },
} as const;

/** Query values arrive as strings (the server does not coerce types); the schema has checked their form. */
function epochRange(query: { from?: string; to?: string }): { from?: number; to?: number } {
  return { ...(query.from === undefined ? {} : { from: Number(query.from) }), ...(query.to === undefined ? {} : { to: Number(query.to) }) };
}

const anyObject = { type: "object", additionalProperties: true } as const;

export function registerPerformanceRoutes(app: FastifyInstance, services: ApiServices): void {
  app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string } }>(
    "/api/v1/operators/:id/performance",
    {
      schema: {
        summary: "The operator's attestation, proposal and sync performance per epoch, with the network baseline beside it.",
        tags: ["performance"],
        security: bearerSecurity,
        params: { type: "object", required: ["id"], properties: { id: uuidSchema } },
        querystring: rangeQuery,
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      requireOperator(principalOf(request), request.params.id, () => operatorNotFound(request.params.id));
      return services.performance.operator(request.params.id, epochRange(request.query));
    },
  );

  app.get<{ Params: { validator: string }; Querystring: { from?: string; to?: string } }>(
    "/api/v1/validators/:validator/performance",
    {
      schema: {
        summary: "One registered validator's results per epoch; by pubkey (0x…) or validator index.",
        tags: ["performance"],
        security: bearerSecurity,
        params: { type: "object", required: ["validator"], properties: { validator: { type: "string", maxLength: 100 } } },
        querystring: rangeQuery,
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const key = await services.performance.findKey(request.params.validator);
      // Another operator's validator answers exactly like one that is not registered.
      requireOperator(principal, key.operator_id, () => new PerformanceQueryError("VALIDATOR_NOT_FOUND", `no registered validator ${request.params.validator}`, { validator: request.params.validator }));
      return services.performance.validator(request.params.validator, epochRange(request.query));
    },
  );

  app.get(
    "/api/v1/monitor/status",
    {
      schema: {
        summary: "The epoch monitor: last processed epoch, skipped epochs (with reasons) and the latest epochs dealt with.",
        tags: ["performance"],
        security: bearerSecurity,
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      principalOf(request);
      return services.performance.status();
    },
  );
}
