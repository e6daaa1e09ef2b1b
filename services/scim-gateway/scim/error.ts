import { AppError, ErrorCode } from "../../../platform/errors.ts";

/** RFC 7644 §3.12 Error response schema. */
export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error" as const;

/** The scimType values of RFC 7644 §3.12 Table 9. */
export const ScimType = {
  InvalidFilter: "invalidFilter",
  TooMany: "tooMany",
  Uniqueness: "uniqueness",
  Mutability: "mutability",
  InvalidSyntax: "invalidSyntax",
  InvalidPath: "invalidPath",
  NoTarget: "noTarget",
  InvalidValue: "invalidValue",
  InvalidVers: "invalidVers",
  Sensitive: "sensitive",
} as const;
export type ScimType = (typeof ScimType)[keyof typeof ScimType];

/** An error that knows its HTTP status and SCIM scimType; the protocol layer throws these. */
export class ScimError extends Error {
  override name = "ScimError";
  readonly status: number;
  readonly scimType: ScimType | undefined;
  /** Extra response headers, e.g. Retry-After on 503 or WWW-Authenticate on 401. */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    scimType: ScimType | undefined,
    detail: string,
    headers: Record<string, string> = {},
  ) {
    super(detail);
    this.status = status;
    this.scimType = scimType;
    this.headers = headers;
  }

  static badRequest(scimType: ScimType, detail: string): ScimError {
    return new ScimError(400, scimType, detail);
  }
}

/** The JSON body of a SCIM error. `status` is a string, as RFC 7644 §3.12 and Okta require. */
export function errorBody(error: ScimError): Record<string, unknown> {
  return {
    schemas: [ERROR_SCHEMA],
    status: String(error.status),
    ...(error.scimType ? { scimType: error.scimType } : {}),
    detail: error.message || "Error",
  };
}

/**
 * The one mapping from anything thrown to a SCIM error. Domain errors keep their message;
 * unknown errors become a 500 whose detail says nothing about internals (the cause is logged).
 */
export function toScimError(error: unknown): ScimError {
  if (error instanceof ScimError) return error;
  const e = AppError.from(error);
  switch (e.code) {
    case ErrorCode.InvalidArgument:
      return new ScimError(400, ScimType.InvalidSyntax, e.message);
    case ErrorCode.InvalidValue:
      return new ScimError(400, ScimType.InvalidValue, e.message);
    case ErrorCode.InvalidFilter:
      return new ScimError(400, ScimType.InvalidFilter, e.message);
    case ErrorCode.Mutability:
      return new ScimError(400, ScimType.Mutability, e.message);
    case ErrorCode.Uniqueness:
      return new ScimError(409, ScimType.Uniqueness, e.message);
    case ErrorCode.NotFound:
      return new ScimError(404, undefined, e.message);
    case ErrorCode.PreconditionFailed:
      return new ScimError(412, undefined, e.message);
    case ErrorCode.Unauthenticated:
      return new ScimError(401, undefined, e.message, { "WWW-Authenticate": 'Bearer realm="moodpoll-scim"' });
    case ErrorCode.Unavailable:
      return new ScimError(503, undefined, "A backend service is unavailable; retry later", {
        "Retry-After": "5",
      });
    case ErrorCode.DeadlineExceeded:
      return new ScimError(503, undefined, "The request timed out in a backend service; retry later", {
        "Retry-After": "5",
      });
    case ErrorCode.Internal:
      return new ScimError(500, undefined, "Internal server error");
  }
}
