import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs on stdout, one object per line, with the service name on each line.
 * Authorization headers and token secrets are redacted wherever they appear.
 */
export function createLogger(service: string, level = process.env["LOG_LEVEL"] ?? "info"): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ["authorization", "*.authorization", "headers.authorization", "secret", "*.secret", "token"],
      censor: "[redacted]",
    },
    formatters: { level: (label) => ({ level: label }) },
  });
}
