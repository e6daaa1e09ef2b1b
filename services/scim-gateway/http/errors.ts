import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import type { Logger } from "../../../platform/mod.ts";
import { errorBody, ScimError, ScimType, toScimError } from "../scim/mod.ts";

export const SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8";

/** Writes a SCIM error response (every error is SCIM JSON: Okta's parser fails on plain text). */
export function sendScimError(res: Response, error: ScimError): void {
  res
    .status(error.status)
    .set(error.headers)
    .type(SCIM_CONTENT_TYPE)
    .send(JSON.stringify(errorBody(error)));
}

/** 404 for any route the gateway does not serve. */
export const notFoundRoute: RequestHandler = (req, res) => {
  sendScimError(res, new ScimError(404, undefined, `No such endpoint: ${req.method} ${req.path}`));
};

interface BodyParserError {
  type?: string;
  status?: number;
}

/** The Express error handler: body-parser failures become 400/413, the rest go through toScimError. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const parserError = error as BodyParserError;
    let scimError: ScimError;
    if (parserError.type === "entity.too.large") {
      scimError = new ScimError(413, ScimType.TooMany, "The request body is larger than the server accepts");
    } else if (parserError.type === "entity.parse.failed") {
      scimError = new ScimError(400, ScimType.InvalidSyntax, "The request body is not valid JSON");
    } else if (parserError.type && parserError.status && parserError.status < 500) {
      scimError = new ScimError(
        parserError.status,
        ScimType.InvalidSyntax,
        "The request body could not be read",
      );
    } else {
      scimError = toScimError(error);
    }
    const log = (res.locals["logger"] as Logger | undefined) ?? logger;
    if (scimError.status >= 500) log.error({ err: error, path: req.path }, "request failed");
    if (res.headersSent) return;
    sendScimError(res, scimError);
  };
}
