import { Router, type Request, type RequestHandler } from "express";
import { ScimError } from "../scim/error.ts";
import {
  allSchemas,
  resourceTypeDocument,
  resourceTypes,
  schemaDocument,
  serviceProviderConfig,
} from "../scim/discovery.ts";
import { listResponse } from "../scim/list.ts";
import { sendScim } from "./context.ts";

const readOnly: RequestHandler = (req, _res, next) => {
  next(
    new ScimError(
      405,
      undefined,
      `${req.method} is not allowed on ${req.baseUrl}${req.path}: discovery endpoints are read-only`,
      { Allow: "GET" },
    ),
  );
};

/** /ServiceProviderConfig, /ResourceTypes and /Schemas (RFC 7644 §4): read-only. */
export function discoveryRoutes(options: {
  maxBodyBytes: number;
  baseUrl: (req: Request) => string;
}): Router {
  const router = Router();
  router.get("/ServiceProviderConfig", (req, res) => {
    sendScim(res, 200, serviceProviderConfig(options.baseUrl(req), options.maxBodyBytes));
  });
  router.get("/ResourceTypes", (req, res) => {
    const docs = resourceTypes.map((t) => resourceTypeDocument(t, options.baseUrl(req)));
    sendScim(res, 200, listResponse(docs, docs.length, 1));
  });
  router.get("/ResourceTypes/:name", (req, res, next) => {
    const type = resourceTypes.find((t) => t.name === req.params["name"]);
    if (!type) return next(new ScimError(404, undefined, `Resource type ${req.params["name"]} not found`));
    sendScim(res, 200, resourceTypeDocument(type, options.baseUrl(req)));
  });
  router.get("/Schemas", (req, res) => {
    const docs = allSchemas.map((s) => schemaDocument(s, options.baseUrl(req)));
    sendScim(res, 200, listResponse(docs, docs.length, 1));
  });
  router.get("/Schemas/:id", (req, res, next) => {
    const schema = allSchemas.find((s) => s.id === req.params["id"]);
    if (!schema) return next(new ScimError(404, undefined, `Schema ${req.params["id"]} not found`));
    sendScim(res, 200, schemaDocument(schema, options.baseUrl(req)));
  });
  for (const path of [
    "/ServiceProviderConfig",
    "/ResourceTypes",
    "/ResourceTypes/:name",
    "/Schemas",
    "/Schemas/:id",
  ]) {
    router.all(path, readOnly);
  }
  return router;
}
