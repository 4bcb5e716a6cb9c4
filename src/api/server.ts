/**
 * The HTTP API: fastify with pino logging, JSON schemas on every route, OpenAPI at /docs, bearer
 * auth on /api, errors as `{code, message, details}`, and request metrics. Routes are thin: they
 * check access and call services.
 */
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from "fastify";
import { VERSION } from "../version.js";
import type { Authenticator, Principal } from "./auth.js";
import { errorBody, type ErrorBody } from "./errorMapping.js";
import { registerHealthRoutes, type Readiness } from "./routes/health.js";
import { registerJobRoutes } from "./routes/jobs.js";
import { registerMigrationRoutes } from "./routes/migrations.js";
import { registerKeyRoutes } from "./routes/keys.js";
import { registerPerformanceRoutes } from "./routes/performance.js";
import { registerExitRoutes } from "./routes/exits.js";
import { registerOperatorRoutes } from "./routes/operators.js";
import { registerRiskRoutes } from "./routes/risk.js";
import { registerValidatorClientRoutes } from "./routes/validatorClients.js";
import type { ApiServices } from "./services.js";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface ServerOptions {
  readonly bodyLimitBytes: number;
}

export interface ServerDependencies extends ApiServices {
  readonly logger: FastifyBaseLogger;
  readonly auth: Authenticator;
  readonly readiness: Readiness;
}

export async function buildServer(options: ServerOptions, deps: ServerDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: options.bodyLimitBytes,
    // No type coercion: a number where a string belongs is an error, not a silent conversion.
    ajv: { customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false } },
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: { title: "stakeops", version: VERSION, description: "Operator registry, key custody and validator clients (Keymanager API)." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  // JSON only: fastify would otherwise accept text/plain bodies and fail later, less clearly.
  app.removeContentTypeParser("text/plain");
  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (request) => {
    if (request.url.startsWith("/api/")) request.principal = await deps.auth.authenticate(request);
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    deps.metrics.httpRequests.inc({ method: request.method, route, code: String(reply.statusCode) });
    deps.metrics.httpRequestSeconds.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body } = translate(error);
    if (status >= 500) request.log.error({ err: error }, "request failed");
    else request.log.info({ code: body.code }, "request refused");
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ code: "ROUTE_NOT_FOUND", message: `no route ${request.method} ${request.url.split("?")[0] ?? ""}`, details: {} } satisfies ErrorBody);
  });

  registerHealthRoutes(app, deps);
  registerOperatorRoutes(app, deps);
  registerKeyRoutes(app, deps);
  registerJobRoutes(app, deps);
  registerValidatorClientRoutes(app, deps);
  registerPerformanceRoutes(app, deps);
  registerExitRoutes(app, deps);
  registerRiskRoutes(app, deps);
  registerMigrationRoutes(app, deps);
  return app;
}

function translate(error: FastifyError): { status: number; body: ErrorBody } {
  if (error.validation !== undefined) {
    return {
      status: 400,
      body: {
        code: "VALIDATION_FAILED",
        message: `invalid request: ${error.message}`,
        details: { errors: error.validation.map((v) => ({ path: v.instancePath, message: v.message ?? "" })) },
      },
    };
  }
  switch (error.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return { status: 400, body: { code: "MALFORMED_JSON", message: "the request body is not valid JSON", details: {} } };
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { status: 413, body: { code: "BODY_TOO_LARGE", message: "the request body exceeds STAKEOPS_BODY_LIMIT_BYTES; split the batch", details: {} } };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return { status: 415, body: { code: "UNSUPPORTED_MEDIA_TYPE", message: "send application/json", details: {} } };
    default:
      return errorBody(error);
  }
}
