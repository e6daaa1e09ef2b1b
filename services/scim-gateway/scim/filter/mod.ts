/** SCIM filters (RFC 7644 §3.4.2.2): parsing, and translation to the services' query AST. */
export type { CompareOp, FilterNode, FilterValue } from "./ast.ts";
export { parseFilter } from "./parse.ts";
export { filterToQuery } from "./to_query.ts";
