/** SCIM PATCH (RFC 7644 §3.5.2): request validation and application to a resource's JSON. */
export {
  parsePatchPath,
  parsePatchRequest,
  type PatchOp,
  type PatchOperation,
  type PatchPath,
} from "./request.ts";
export { applyPatch, coerce } from "./apply.ts";
