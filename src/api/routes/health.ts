import type { FastifyInstance } from "fastify";
import type { ServiceMetrics } from "../../metrics/metrics.js";

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, "ok" | "failing" | "not configured">>;
}

export type Readiness = () => Promise<ReadinessReport>;

export function registerHealthRoutes(app: FastifyInstance, deps: { readonly readiness: Readiness; readonly metrics: ServiceMetrics }): void {
  app.get("/health", { schema: { hide: true } }, async () => ({ status: "ok" }));

  app.get("/ready", { schema: { hide: true } }, async (_request, reply) => {
    const report = await deps.readiness();
    return reply.status(report.ready ? 200 : 503).send(report);
  });

  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.header("content-type", deps.metrics.registry.contentType).send(body);
  });
}
