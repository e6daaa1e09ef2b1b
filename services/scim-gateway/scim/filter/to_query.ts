import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  FilterSchema,
  Operator,
  ValueSchema,
  type Filter,
  type Value,
} from "../../../../gen/moodpoll/query/v1/query_pb.ts";
import { ScimError, ScimType } from "../error.ts";
import { resolveAttribute, type ResolvedAttribute } from "../path.ts";
import type { AttributeDef, ResourceTypeDef } from "../schema.ts";
import type { CompareOp, FilterNode, FilterValue } from "./ast.ts";
import { parseFilter } from "./parse.ts";

const OPERATORS: Record<CompareOp, Operator> = {
  eq: Operator.EQ,
  ne: Operator.NE,
  co: Operator.CO,
  sw: Operator.SW,
  ew: Operator.EW,
  gt: Operator.GT,
  ge: Operator.GE,
  lt: Operator.LT,
  le: Operator.LE,
};

const invalid = (detail: string) => ScimError.badRequest(ScimType.InvalidFilter, `Invalid filter: ${detail}`);

interface Scope {
  /** Inside `attr[...]`: the multi-valued attribute whose sub-attributes names refer to. */
  parent?: ResolvedAttribute;
}

function resolve(
  path: string,
  resource: ResourceTypeDef,
  scope: Scope,
): { domainPath: string; def: AttributeDef } {
  if (scope.parent) {
    const sub = scope.parent.attribute.subAttributes?.find(
      (s) => s.name.toLowerCase() === path.toLowerCase(),
    );
    if (!sub || sub.filterable === false)
      throw invalid(`"${path}" is not a sub-attribute of "${scope.parent.attribute.name}"`);
    return { domainPath: sub.name, def: sub };
  }
  const resolved = resolveAttribute(path, resource);
  if (!resolved) throw invalid(`unknown attribute "${path}"`);
  let def = resolved.subAttribute ?? resolved.attribute;
  let domainPath = resolved.domainPath;
  // A multi-valued complex attribute without a sub-attribute means its "value" (RFC 7644 §3.4.2.2).
  if (def.type === "complex" && !resolved.subAttribute) {
    const value = def.multiValued ? def.subAttributes?.find((s) => s.name === "value") : undefined;
    if (!value) throw invalid(`"${path}" is complex; name one of its sub-attributes`);
    def = value;
    domainPath = `${domainPath}.value`;
  }
  if (def.filterable === false || resolved.attribute.filterable === false)
    throw invalid(`"${path}" cannot be filtered on`);
  return { domainPath, def };
}

function toValue(def: AttributeDef, op: CompareOp, value: FilterValue, path: string): Value {
  if (value === null) {
    if (op !== "eq" && op !== "ne") throw invalid(`"${op}" cannot compare with null`);
    return create(ValueSchema, { kind: { case: "null", value: true } });
  }
  switch (def.type) {
    case "boolean":
      if (typeof value !== "boolean" || (op !== "eq" && op !== "ne")) {
        throw invalid(`"${path}" is a boolean: use eq or ne with true or false`);
      }
      return create(ValueSchema, { kind: { case: "boolean", value } });
    case "dateTime": {
      const date = typeof value === "string" ? new Date(value) : undefined;
      if (!date || Number.isNaN(date.getTime()) || ["co", "sw", "ew"].includes(op)) {
        throw invalid(
          `"${path}" is a date-time: compare it with an RFC 3339 string using eq, ne, gt, ge, lt or le`,
        );
      }
      return create(ValueSchema, { kind: { case: "dateTime", value: timestampFromDate(date) } });
    }
    case "integer":
    case "decimal":
      if (typeof value !== "number" || ["co", "sw", "ew"].includes(op))
        throw invalid(`"${path}" is a number`);
      return create(ValueSchema, { kind: { case: "number", value } });
    default:
      if (typeof value !== "string") throw invalid(`"${path}" is a string: compare it with a quoted value`);
      return create(ValueSchema, { kind: { case: "string", value } });
  }
}

function convert(node: FilterNode, resource: ResourceTypeDef, scope: Scope): Filter {
  switch (node.kind) {
    case "and":
    case "or":
      return create(FilterSchema, {
        kind: {
          case: node.kind,
          value: { operands: [convert(node.left, resource, scope), convert(node.right, resource, scope)] },
        },
      });
    case "not":
      return create(FilterSchema, { kind: { case: "not", value: convert(node.filter, resource, scope) } });
    case "present": {
      const { domainPath } = resolve(node.path, resource, scope);
      return create(FilterSchema, { kind: { case: "present", value: { attribute: domainPath } } });
    }
    case "compare": {
      const { domainPath, def } = resolve(node.path, resource, scope);
      return create(FilterSchema, {
        kind: {
          case: "comparison",
          value: {
            attribute: domainPath,
            operator: OPERATORS[node.op],
            value: toValue(def, node.op, node.value, node.path),
            caseExact: def.caseExact ?? false,
          },
        },
      });
    }
    case "valuePath": {
      if (scope.parent) throw invalid("value paths cannot be nested");
      const parent = resolveAttribute(node.path, resource);
      if (
        !parent ||
        parent.subAttribute ||
        !parent.attribute.multiValued ||
        parent.attribute.type !== "complex"
      ) {
        throw invalid(`"${node.path}[...]" needs a multi-valued complex attribute`);
      }
      if (parent.attribute.filterable === false) throw invalid(`"${node.path}" cannot be filtered on`);
      return create(FilterSchema, {
        kind: {
          case: "valuePath",
          value: { attribute: parent.domainPath, filter: convert(node.filter, resource, { parent }) },
        },
      });
    }
  }
}

/**
 * Parses a SCIM filter and checks it against the resource's schema, producing the query AST the
 * services understand. Attribute names are resolved case-insensitively; case sensitivity of each
 * comparison follows the attribute's `caseExact`.
 * @throws ScimError 400 invalidFilter
 */
export function filterToQuery(filter: string, resource: ResourceTypeDef): Filter {
  return convert(parseFilter(filter), resource, {});
}
