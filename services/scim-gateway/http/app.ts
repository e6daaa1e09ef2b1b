import { randomUUID } from "node:crypto";
import express, { type Express, type Router } from "express";
import type { Logger } from "../../../platform/mod.ts";
import { errorHandler, notFoundRoute } from "./errors.ts";

/** Reports whether the gateway can serve: each dependency by name. */
export interface Readiness {
  check(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
}

export interface AppOptions {
  logger: Logger;
  readiness: Readiness;
  maxBodyBytes: number;
  /** The SCIM router, mounted at /scim/v2. */
  scim?: Router;
  /** Becomes false when shutdown starts so /readyz turns 503 before the listener closes. */
  isAccepting: () => boolean;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The Express app: framework glue only. It assigns request ids, logs each request as one line,
 * parses JSON bodies of both `application/json` (Okta's test suite) and `application/scim+json`,
 * and turns every failure into a SCIM error.
 */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");

  app.use((req, res, next) => {
    const sent = req.get("x-request-id");
    const requestId = sent && REQUEST_ID.test(sent) ? sent : randomUUID();
    const logger = options.logger.child({ requestId });
    res.locals["requestId"] = requestId;
    res.locals["logger"] = logger;
    res.set("X-Request-Id", requestId);
    const started = performance.now();
    res.on("finish", () => {
      if (req.path === "/healthz" || req.path === "/readyz") return;
      logger.info(
        {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        "request",
      );
    });
    next();
  });

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    const { ready, checks } = await options.readiness.check();
    const ok = ready && options.isAccepting();
    res.status(ok ? 200 : 503).json({ status: ok ? "ready" : "not ready", checks });
  });

  app.use(
    express.json({
      type: ["application/json", "application/scim+json", "application/*+json"],
      limit: options.maxBodyBytes,
      strict: false,
    }),
  );
  if (options.scim) app.use("/scim/v2", options.scim);
  app.use(notFoundRoute);
  app.use(errorHandler(options.logger));
  return app;
}
