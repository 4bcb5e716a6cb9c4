/**
 * The service's one logger: structured JSON (pino, which fastify uses too). Secrets are redacted
 * by path as a second line of defence; the first is never passing them to a log call.
 */
import { pino, type Logger as PinoLogger } from "pino";
import type { LogLevel } from "./config/loadConfig.js";

export type ServiceLogger = PinoLogger;

export function createLogger(level: LogLevel, stream?: NodeJS.WritableStream): ServiceLogger {
  const options = {
    level,
    base: { service: "stakeops" },
    redact: {
      paths: ["req.headers.authorization", "headers.authorization", "token", "*.token", "password", "*.password", "passwords", "*.passwords"],
      censor: "[redacted]",
    },
  };
  return stream === undefined ? pino(options) : pino(options, stream);
}
