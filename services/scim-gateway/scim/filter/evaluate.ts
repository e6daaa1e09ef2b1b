import type { AttributeDef } from "../schema.ts";
import type { FilterNode, FilterValue } from "./ast.ts";

const lower = (v: unknown, caseExact: boolean) => (typeof v === "string" && !caseExact ? v.toLowerCase() : v);

function compare(actual: unknown, op: string, expected: FilterValue, caseExact: boolean): boolean {
  if (op === "eq" && expected === null) return actual === undefined || actual === null;
  if (op === "ne" && expected === null) return actual !== undefined && actual !== null;
  if (actual === undefined || actual === null) return op === "ne";
  const a = lower(actual, caseExact);
  const e = lower(expected, caseExact);
  switch (op) {
    case "eq":
      return a === e;
    case "ne":
      return a !== e;
    case "co":
      return typeof a === "string" && typeof e === "string" && a.includes(e);
    case "sw":
      return typeof a === "string" && typeof e === "string" && a.startsWith(e);
    case "ew":
      return typeof a === "string" && typeof e === "string" && a.endsWith(e);
    case "gt":
      return (a as number | string) > (e as number | string);
    case "ge":
      return (a as number | string) >= (e as number | string);
    case "lt":
      return (a as number | string) < (e as number | string);
    case "le":
      return (a as number | string) <= (e as number | string);
    default:
      return false;
  }
}

/**
 * Evaluates a value filter (the part inside `attr[...]`) against one element of a multi-valued
 * attribute, in memory. Used by PATCH paths such as `emails[type eq "work"].value`.
 */
export function matchesElement(
  element: Record<string, unknown>,
  filter: FilterNode,
  subAttributes: readonly AttributeDef[],
): boolean {
  const get = (name: string) => {
    const key = Object.keys(element).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : element[key];
  };
  const caseExact = (name: string) =>
    subAttributes.find((s) => s.name.toLowerCase() === name.toLowerCase())?.caseExact ?? false;
  switch (filter.kind) {
    case "and":
      return (
        matchesElement(element, filter.left, subAttributes) &&
        matchesElement(element, filter.right, subAttributes)
      );
    case "or":
      return (
        matchesElement(element, filter.left, subAttributes) ||
        matchesElement(element, filter.right, subAttributes)
      );
    case "not":
      return !matchesElement(element, filter.filter, subAttributes);
    case "present": {
      const v = get(filter.path);
      return v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0);
    }
    case "compare":
      return compare(get(filter.path), filter.op, filter.value, caseExact(filter.path));
    case "valuePath":
      return false;
  }
}

/** The sub-attribute values an `eq`-only filter pins down, e.g. {type:"work"}; undefined otherwise. */
export function equalities(filter: FilterNode): Record<string, FilterValue> | undefined {
  if (filter.kind === "compare" && filter.op === "eq") return { [filter.path]: filter.value };
  if (filter.kind === "and") {
    const left = equalities(filter.left);
    const right = equalities(filter.right);
    return left && right ? { ...left, ...right } : undefined;
  }
  return undefined;
}
