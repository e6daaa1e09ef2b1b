/** A parsed SCIM filter (RFC 7644 §3.4.2.2), before it is checked against a schema. */
export type CompareOp = "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "ge" | "lt" | "le";
export type FilterValue = string | number | boolean | null;

export type FilterNode =
  | { readonly kind: "and" | "or"; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly kind: "not"; readonly filter: FilterNode }
  | { readonly kind: "present"; readonly path: string }
  | { readonly kind: "compare"; readonly path: string; readonly op: CompareOp; readonly value: FilterValue }
  | { readonly kind: "valuePath"; readonly path: string; readonly filter: FilterNode };

export const COMPARE_OPS: readonly CompareOp[] = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"];
