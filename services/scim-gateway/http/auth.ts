import { createHash } from "node:crypto";
import type { RequestHandler } from "express";
import { AppError, ErrorCode } from "../../../platform/mod.ts";
import type { AuthenticatedTenant, IdentityPort } from "../ports.ts";
import { ScimError } from "../scim/mod.ts";

const challenge = { "WWW-Authenticate": 'Bearer realm="moodpoll-scim"' };
const unauthorized = (detail: string) => new ScimError(401, undefined, detail, challenge);

/**
 * Bearer-token authentication on every SCIM route. Valid tokens are cached for `cacheMs` (≤ 5 s,
 * so a revocation takes effect within 5 seconds); the cache is keyed by a hash, never the token.
 */
export function bearerAuth(identity: IdentityPort, cacheMs: number): RequestHandler {
  const cache = new Map<string, { tenant: AuthenticatedTenant; expires: number }>();
  return (req, res, next) => {
    const header = req.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      next(
        unauthorized(
          header
            ? "The Authorization header must be 'Bearer <token>'"
            : "Authentication required: send 'Authorization: Bearer <token>'",
        ),
      );
      return;
    }
    const secret = match[1]!;
    const key = createHash("sha256").update(secret).digest("base64url");
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && hit.expires > now) {
      res.locals["tenant"] = hit.tenant;
      next();
      return;
    }
    identity.authenticate(secret, String(res.locals["requestId"])).then(
      (tenant) => {
        if (cache.size > 10_000) cache.clear();
        if (cacheMs > 0) cache.set(key, { tenant, expires: now + cacheMs });
        res.locals["tenant"] = tenant;
        next();
      },
      (error: unknown) => {
        cache.delete(key);
        if (error instanceof AppError && error.code === ErrorCode.Unauthenticated)
          next(unauthorized(error.message));
        else next(error);
      },
    );
  };
}
