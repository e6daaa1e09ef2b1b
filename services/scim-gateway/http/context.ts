import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Logger, RequestContext } from "../../../platform/mod.ts";
import type { AuthenticatedTenant } from "../ports.ts";
import { SCIM_CONTENT_TYPE } from "./errors.ts";

/** What a SCIM route handler receives besides req/res. */
export interface ScimCall {
  ctx: RequestContext;
  logger: Logger;
  /** The SCIM base URL as the client sees it, for meta.location and $ref. */
  baseUrl: string;
}

/** Builds the request context: tenant from auth, request id, deadline, abort on client disconnect. */
export function scimCall(
  req: Request,
  res: Response,
  options: { timeoutMs: number; publicBaseUrl?: string | undefined },
): ScimCall {
  const tenant = res.locals["tenant"] as AuthenticatedTenant;
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort(new DOMException("Client went away", "AbortError"));
  });
  return {
    ctx: {
      requestId: String(res.locals["requestId"]),
      tenantId: tenant.tenantId,
      signal: controller.signal,
      deadline: Date.now() + options.timeoutMs,
    },
    logger: res.locals["logger"] as Logger,
    baseUrl: options.publicBaseUrl
      ? options.publicBaseUrl.replace(/\/$/, "")
      : `${req.protocol}://${req.get("host")}/scim/v2`,
  };
}

/** Sends a SCIM JSON response. */
export function sendScim(
  res: Response,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.status(status).set(headers).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** Wraps an async handler so a rejection reaches the SCIM error handler (and lint sees no floating promise). */
export function route(fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
}
