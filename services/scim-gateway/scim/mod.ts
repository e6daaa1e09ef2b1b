/** The SCIM 2.0 protocol layer (RFC 7643/7644): pure, no Express, gRPC or MongoDB imports. */
export { ERROR_SCHEMA, errorBody, ScimError, ScimType, toScimError } from "./error.ts";
