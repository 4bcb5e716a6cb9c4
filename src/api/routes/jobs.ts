import type { FastifyInstance } from "fastify";
import { RegistryError } from "../../registry/errors.js";
import { principalOf, requireOperator } from "../auth.js";
import { bearerSecurity, errorResponses, jobSchema, uuidSchema } from "../schemas.js";
import type { ApiServices } from "../services.js";

export function registerJobRoutes(app: FastifyInstance, services: ApiServices): void {
  app.get<{ Params: { jobId: string } }>(
    "/api/v1/jobs/:jobId",
    {
      schema: {
        summary: "A background job's state, progress and result.",
        tags: ["jobs"],
        security: bearerSecurity,
        params: { type: "object", required: ["jobId"], properties: { jobId: uuidSchema } },
        response: { 200: jobSchema, ...errorResponses },
      },
    },
    async (request) => {
      const job = await services.jobs.get(request.params.jobId);
      const notFound = (): Error => new RegistryError("JOB_NOT_FOUND", `no job with id ${request.params.jobId}`, { jobId: request.params.jobId });
      requireOperator(principalOf(request), job.operatorId, notFound);
      return job;
    },
  );
}
