import type { FastifyInstance } from "fastify";
import { principalOf, requireAdmin, requireOperator } from "../auth.js";
import { bearerSecurity, errorResponses, operatorSchema, uuidSchema } from "../schemas.js";
import type { ApiServices } from "../services.js";
import { RegistryError } from "../../registry/errors.js";

const idParams = { type: "object", required: ["id"], properties: { id: uuidSchema } } as const;

export function operatorNotFound(id: string): RegistryError {
  return new RegistryError("OPERATOR_NOT_FOUND", `no operator with id ${id}`, { operatorId: id });
}

export function registerOperatorRoutes(app: FastifyInstance, services: ApiServices): void {
  app.post<{ Body: { name: string; rewardAddress?: string; keyLimit?: number } }>(
    "/api/v1/operators",
    {
      schema: {
        summary: "Create an operator (admin). The operator's token is in this answer only.",
        tags: ["operators"],
        security: bearerSecurity,
        body: {
          type: "object",
          required: ["name"],
          additionalProperties: false,
          properties: {
            name: { type: "string", minLength: 1, maxLength: 63 },
            rewardAddress: { type: "string" },
            keyLimit: { type: "integer", minimum: 0 },
          },
        },
        response: {
          201: { ...operatorSchema, required: [...operatorSchema.required, "token"], properties: { ...operatorSchema.properties, token: { type: "string" } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      requireAdmin(principalOf(request));
      const { operator, token } = await services.operators.create(request.body);
      return reply.status(201).send({ ...operator, token });
    },
  );

  app.get(
    "/api/v1/operators",
    { schema: { summary: "List operators (an operator token sees only its own).", tags: ["operators"], security: bearerSecurity, response: { 200: { type: "object", required: ["operators"], properties: { operators: { type: "array", items: operatorSchema } } }, ...errorResponses } } },
    async (request) => {
      const principal = principalOf(request);
      const operators = await services.operators.list();
      return { operators: principal.kind === "admin" ? operators : operators.filter((o) => o.id === principal.operatorId) };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/v1/operators/:id",
    { schema: { summary: "One operator.", tags: ["operators"], security: bearerSecurity, params: idParams, response: { 200: operatorSchema, ...errorResponses } } },
    async (request) => {
      requireOperator(principalOf(request), request.params.id, () => operatorNotFound(request.params.id));
      return services.operators.get(request.params.id);
    },
  );

  app.patch<{ Params: { id: string }; Body: { active?: boolean; keyLimit?: number | null } }>(
    "/api/v1/operators/:id",
    {
      schema: {
        summary: "Enable or disable an operator, or set its key limit (admin).",
        tags: ["operators"],
        security: bearerSecurity,
        params: idParams,
        body: {
          type: "object",
          additionalProperties: false,
          minProperties: 1,
          properties: { active: { type: "boolean" }, keyLimit: { type: ["integer", "null"], minimum: 0 } },
        },
        response: { 200: operatorSchema, ...errorResponses },
      },
    },
    async (request) => {
      requireAdmin(principalOf(request));
      return services.operators.update(request.params.id, request.body);
    },
  );
}
