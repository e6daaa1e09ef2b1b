import { Router, type Request } from "express";
import type { IdentityPort, TeamsPort } from "../ports.ts";
import { bearerAuth } from "./auth.ts";
import { discoveryRoutes } from "./discovery_routes.ts";
import { groupsRoutes } from "./groups_routes.ts";
import { usersRoutes } from "./users_routes.ts";

export interface ScimRouterOptions {
  identity: IdentityPort;
  teams: TeamsPort;
  tokenCacheMs: number;
  timeoutMs: number;
  maxBodyBytes: number;
  publicBaseUrl?: string | undefined;
}

/** Everything under /scim/v2: authentication first (discovery included), then the resources. */
export function scimRouter(options: ScimRouterOptions): Router {
  const router = Router();
  const baseUrl = (req: Request) =>
    options.publicBaseUrl
      ? options.publicBaseUrl.replace(/\/$/, "")
      : `${req.protocol}://${req.get("host")}/scim/v2`;
  router.use(bearerAuth(options.identity, options.tokenCacheMs));
  router.use(discoveryRoutes({ maxBodyBytes: options.maxBodyBytes, baseUrl }));
  router.use("/Users", usersRoutes(options));
  router.use("/Groups", groupsRoutes(options));
  return router;
}
