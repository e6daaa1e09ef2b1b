import test from "ava";
import { AppError, ErrorCode } from "../../../platform/errors.ts";
import { errorBody, ScimError, toScimError, type ScimType } from "./error.ts";

test("toScimError() maps each domain error to its HTTP status and scimType", (t) => {
  const cases: [ErrorCode, number, ScimType | undefined][] = [
    [ErrorCode.Uniqueness, 409, "uniqueness"],
    [ErrorCode.Mutability, 400, "mutability"],
    [ErrorCode.InvalidValue, 400, "invalidValue"],
    [ErrorCode.NotFound, 404, undefined],
    [ErrorCode.PreconditionFailed, 412, undefined],
    [ErrorCode.Unauthenticated, 401, undefined],
    [ErrorCode.Unavailable, 503, undefined],
  ];
  for (const [code, status, scimType] of cases) {
    const error = toScimError(new AppError(code, "why"));
    t.is(error.status, status, code);
    t.is(error.scimType, scimType, code);
  }
});

test("toScimError() hides the message of an unknown error behind a 500", (t) => {
  const error = toScimError(new Error("connection string mongodb://secret@x"));
  t.is(error.status, 500);
  t.notRegex(error.message, /secret/);
});

test("errorBody() renders status as a string, as Okta requires", (t) => {
  t.deepEqual(errorBody(new ScimError(404, undefined, "User 1 not found")), {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
    status: "404",
    detail: "User 1 not found",
  });
});

test("a 401 carries a WWW-Authenticate Bearer challenge and a 503 an integer Retry-After", (t) => {
  t.regex(
    toScimError(new AppError(ErrorCode.Unauthenticated, "no")).headers["WWW-Authenticate"] ?? "",
    /^Bearer/,
  );
  t.regex(toScimError(new AppError(ErrorCode.Unavailable, "no")).headers["Retry-After"] ?? "", /^\d+$/);
});
