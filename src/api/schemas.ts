/**
 * JSON schemas of the HTTP API (request validation and the OpenAPI document at /docs). Responses
 * are serialized through them too, so a field missing from a schema never leaks out.
 */
export const errorSchema = {
  type: "object",
  required: ["code", "message", "details"],
  properties: {
    code: { type: "string", description: "Stable error code; branch on this, not on the message." },
    message: { type: "string" },
    details: { type: "object", additionalProperties: true },
  },
} as const;

export const uuidSchema = { type: "string", minLength: 1, maxLength: 64 } as const;

export const operatorSchema = {
  type: "object",
  required: ["id", "name", "rewardAddress", "active", "keyLimit", "createdAt"],
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    rewardAddress: { type: ["string", "null"] },
    active: { type: "boolean" },
    keyLimit: { type: ["integer", "null"] },
    createdAt: { type: "string" },
  },
} as const;

export const rejectionSchema = {
  type: "object",
  required: ["code", "message"],
  properties: { code: { type: "string" }, field: { type: "string" }, message: { type: "string" } },
} as const;

export const registrationResultSchema = {
  type: "object",
  description:
    "Per key, not all-or-nothing: keys that pass every rule are registered, the others are listed with their reasons. " +
    "A request that cannot be processed at all (malformed, beacon node unreachable) registers nothing.",
  required: ["registered", "rejected", "results"],
  properties: {
    registered: { type: "integer" },
    rejected: { type: "integer" },
    results: {
      type: "array",
      items: {
        type: "object",
        required: ["index", "pubkey", "status", "reasons"],
        properties: {
          index: { type: "integer" },
          pubkey: { type: ["string", "null"] },
          status: { type: "string", enum: ["registered", "rejected"] },
          reasons: { type: "array", items: rejectionSchema },
        },
      },
    },
  },
} as const;

export const keySchema = {
  type: "object",
  required: ["pubkey", "source", "state", "validatorIndex", "withdrawalCredentials", "amountGwei", "derivationPath", "inCustody", "createdAt", "updatedAt"],
  properties: {
    pubkey: { type: "string" },
    source: { type: "string", enum: ["generated", "keystore", "deposit-data", "existing"] },
    state: { type: "string", enum: ["registered", "deposited", "active", "exiting", "exited", "slashed"] },
    validatorIndex: { type: ["integer", "null"] },
    withdrawalCredentials: { type: ["string", "null"] },
    amountGwei: { type: ["integer", "null"] },
    derivationPath: { type: ["string", "null"] },
    inCustody: { type: "boolean" },
    createdAt: { type: "string" },
    updatedAt: { type: "string" },
  },
} as const;

export const validatorClientSchema = {
  type: "object",
  required: ["id", "operatorId", "url", "createdAt", "lastPolledAt", "lastError"],
  properties: {
    id: { type: "string" },
    operatorId: { type: "string" },
    url: { type: "string" },
    createdAt: { type: "string" },
    lastPolledAt: { type: ["string", "null"] },
    lastError: { type: ["string", "null"] },
  },
} as const;

export const transferResultSchema = {
  type: "object",
  required: ["pubkey", "status", "message"],
  properties: {
    pubkey: { type: "string" },
    status: { type: "string", enum: ["imported", "duplicate", "deleted", "not_active", "not_found", "rejected", "error", "unknown"] },
    code: { type: "string" },
    message: { type: "string" },
  },
} as const;

export const jobSchema = {
  type: "object",
  required: ["id", "operatorId", "kind", "state", "progress", "result", "error", "createdAt", "startedAt", "finishedAt"],
  properties: {
    id: { type: "string" },
    operatorId: { type: "string" },
    kind: { type: "string" },
    state: { type: "string", enum: ["queued", "running", "succeeded", "failed"] },
    progress: { type: "object", required: ["done", "total"], properties: { done: { type: "integer" }, total: { type: "integer" } } },
    result: {},
    error: { type: ["object", "null"], properties: { code: { type: "string" }, message: { type: "string" } } },
    createdAt: { type: "string" },
    startedAt: { type: ["string", "null"] },
    finishedAt: { type: ["string", "null"] },
  },
} as const;

export const findingSchema = {
  type: "object",
  required: ["kind", "severity", "pubkey", "validatorClientId", "operatorId", "details", "firstSeen", "lastSeen"],
  properties: {
    kind: { type: "string" },
    severity: { type: "string", enum: ["critical", "warning"] },
    pubkey: { type: ["string", "null"] },
    validatorClientId: { type: ["string", "null"] },
    operatorId: { type: ["string", "null"] },
    details: { type: "object", additionalProperties: true },
    firstSeen: { type: "string" },
    lastSeen: { type: "string" },
  },
} as const;

/** Every response of a route that may fail: the error shape on 4xx and 5xx. */
export const errorResponses = {
  "4xx": errorSchema,
  "5xx": errorSchema,
} as const;

export const bearerSecurity = [{ bearer: [] }] as const;
