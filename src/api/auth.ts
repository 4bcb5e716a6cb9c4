/**
 * Bearer-token authentication and the access rules every route applies:
 * - the admin token (STAKEOPS_ADMIN_TOKEN) may do everything;
 * - an operator token sees and changes only its own operator's resources. Another operator's
 *   resource answers 404 (its existence is not revealed); an admin-only route answers 403.
 */
import type { FastifyRequest } from "fastify";
import { StakeopsError } from "../errors.js";
import type { OperatorService } from "../registry/operatorService.js";
import { looksLikeOperatorToken, secretsEqual } from "../registry/tokens.js";

export type Principal = { readonly kind: "admin" } | { readonly kind: "operator"; readonly operatorId: string };

export class AuthError extends StakeopsError<"UNAUTHENTICATED" | "FORBIDDEN"> {}

export interface Authenticator {
  authenticate(request: FastifyRequest): Promise<Principal>;
}

export function createAuthenticator(adminToken: string, operators: OperatorService): Authenticator {
  return {
    async authenticate(request) {
      const header = request.headers.authorization;
      const match = typeof header === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      const token = match?.[1];
      if (token === undefined) {
        throw new AuthError("UNAUTHENTICATED", "missing bearer token: send `Authorization: Bearer <token>`", {});
      }
      if (secretsEqual(token, adminToken)) return { kind: "admin" };
      if (looksLikeOperatorToken(token)) {
        const operator = await operators.findByToken(token);
        if (operator !== undefined) return { kind: "operator", operatorId: operator.id };
      }
      throw new AuthError("UNAUTHENTICATED", "the bearer token is not valid", {});
    },
  };
}

/** The caller of an /api route (set by the server's onRequest hook). */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new AuthError("UNAUTHENTICATED", "missing bearer token", {});
  return request.principal;
}

export function requireAdmin(principal: Principal): void {
  if (principal.kind !== "admin") throw new AuthError("FORBIDDEN", "this needs the admin token", {});
}

/** Admin, or the operator itself; anyone else gets the same answer as for a missing operator. */
export function requireOperator(principal: Principal, operatorId: string, notFound: () => Error): void {
  if (principal.kind === "admin") return;
  if (principal.operatorId !== operatorId) throw notFound();
}
