import type { FastifyInstance } from "fastify";
import { RISK_SEVERITIES, RISK_SIGNAL_KINDS, type RiskSeverity, type RiskSignalKind } from "../../risk/signals.js";
import { principalOf } from "../auth.js";
import { bearerSecurity, errorResponses } from "../schemas.js";
import type { ApiServices } from "../services.js";

const riskSignalSchema = {
  type: "object",
  required: ["id", "signal", "severity", "pubkey", "validatorIndex", "operatorId", "validatorClientId", "epoch", "details", "firstSeen", "lastSeen", "resolvedAt"],
  properties: {
    id: { type: "string", description: "signal|pubkey|context: one row per fact." },
    signal: { type: "string", enum: RISK_SIGNAL_KINDS },
    severity: { type: "string", enum: RISK_SEVERITIES },
    pubkey: { type: ["string", "null"] },
    validatorIndex: { type: ["integer", "null"] },
    operatorId: { type: ["string", "null"], description: "The operator whose key it is (null: no registered key, or another operator's)." },
    validatorClientId: { type: ["string", "null"] },
    epoch: { type: ["integer", "null"], description: "The epoch the fact is about (a double vote's target) or where the monitor first saw it." },
    details: { type: "object", additionalProperties: true },
    firstSeen: { type: "string" },
    lastSeen: { type: "string" },
    resolvedAt: { type: ["string", "null"] },
  },
} as const;

/** Kinds, comma-separated (the server does not coerce a lone query value into an array). */
const SIGNAL_LIST = `^(${RISK_SIGNAL_KINDS.join("|")})(,(${RISK_SIGNAL_KINDS.join("|")}))*$`;

interface RiskQuerystring {
  severity?: RiskSeverity;
  signal?: string;
  resolved?: "true" | "false" | "any";
  limit?: string;
}

export function registerRiskRoutes(app: FastifyInstance, services: ApiServices): void {
  app.get<{ Querystring: RiskQuerystring }>(
    "/api/v1/risk",
    {
      schema: {
        summary:
          "Slashing-risk signals: slashed on chain, slashings and double votes in blocks, doppelgangers, a key in two clients or under two operators (critical), " +
          "and the inventory's warnings. Open ones by default. An operator sees its own keys' signals and those about its validator clients.",
        tags: ["risk"],
        security: bearerSecurity,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            severity: { type: "string", enum: RISK_SEVERITIES },
            signal: { type: "string", pattern: SIGNAL_LIST, description: "One signal kind, or several separated by commas." },
            resolved: { type: "string", enum: ["false", "true", "any"], description: "false (default): open signals; true: resolved ones; any: both." },
            limit: { type: "string", pattern: "^[1-9][0-9]{0,4}$", description: "At most this many (default 1000, at most 99999), critical first, oldest first." },
          },
        },
        response: { 200: { type: "object", required: ["signals"], properties: { signals: { type: "array", items: riskSignalSchema } } }, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { severity, signal, resolved, limit } = request.query;
      const signals = await services.risk.list(
        {
          ...(severity === undefined ? {} : { severity }),
          // The schema's pattern has checked every name.
          ...(signal === undefined ? {} : { kinds: signal.split(",") as RiskSignalKind[] }),
          resolved: resolved === "true" ? true : resolved === "any" ? "any" : false,
          limit: limit === undefined ? 1_000 : Number(limit),
        },
        principal,
      );
      return { signals: signals.map(({ kind, ...rest }) => ({ signal: kind, ...rest })) };
    },
  );
}
