import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Document } from "mongodb";
import { Operator, type Filter, type Value } from "../gen/moodpoll/query/v1/query_pb.ts";
import { errors } from "./errors.ts";

/** How one domain attribute is stored. */
export interface FieldMapping {
  /** The MongoDB field (dotted for nested). */
  field: string;
  /** The field holds a lower-cased copy: case-insensitive comparisons use it with a lowered value. */
  lowered?: boolean;
  /** The field is an array (multi-valued attribute): `pr` means "non-empty". */
  array?: boolean;
}

/** Attribute names a store can query; anything else is refused (defence in depth behind the gateway). */
export type FieldMap = Record<string, FieldMapping>;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function scalar(value: Value | undefined): unknown {
  switch (value?.kind.case) {
    case "string":
    case "number":
    case "boolean":
      return value.kind.value;
    case "dateTime":
      return timestampDate(value.kind.value);
    default:
      return null;
  }
}

function comparison(mapping: FieldMapping, operator: Operator, raw: unknown, caseExact: boolean): Document {
  const { field } = mapping;
  if (raw === null) {
    if (operator === Operator.EQ) return { [field]: null };
    if (operator === Operator.NE) return { [field]: { $ne: null } };
    throw errors.invalidArgument("null can only be compared with eq or ne");
  }
  const insensitive = typeof raw === "string" && !caseExact;
  // Lowered fields make case-insensitive eq an index lookup; elsewhere a regex with the i flag.
  const value = insensitive && mapping.lowered ? raw.toLowerCase() : raw;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const regex = (pattern: string): Document =>
    insensitive && !mapping.lowered ? { $regex: pattern, $options: "i" } : { $regex: pattern };
  switch (operator) {
    case Operator.EQ:
      return insensitive && !mapping.lowered ? { [field]: regex(`^${escape(raw)}$`) } : { [field]: value };
    case Operator.NE:
      return insensitive && !mapping.lowered
        ? { $nor: [{ [field]: regex(`^${escape(raw)}$`) }] }
        : { [field]: { $ne: value } };
    case Operator.CO:
      return { [field]: regex(escape(text)) };
    case Operator.SW:
      return { [field]: regex(`^${escape(text)}`) };
    case Operator.EW:
      return { [field]: regex(`${escape(text)}$`) };
    case Operator.GT:
      return { [field]: { $gt: value } };
    case Operator.GE:
      return { [field]: { $gte: value } };
    case Operator.LT:
      return { [field]: { $lt: value } };
    case Operator.LE:
      return { [field]: { $lte: value } };
    default:
      throw errors.invalidArgument("Unknown filter operator");
  }
}

/**
 * `a and b` as one object when the operands touch different fields: simpler for every server, and
 * the only form FerretDB 1.24 accepts inside `$elemMatch` (it refuses `$and` there).
 */
function conjunction(operands: Document[]): Document {
  const merged: Document = {};
  for (const operand of operands) {
    for (const [key, value] of Object.entries(operand)) {
      if (key.startsWith("$") || key in merged) return { $and: operands };
      merged[key] = value as unknown;
    }
  }
  return merged;
}

function lookup(fields: FieldMap, attribute: string): FieldMapping {
  const mapping = fields[attribute];
  if (!mapping) throw errors.invalidArgument(`Cannot filter on "${attribute}"`);
  return mapping;
}

/**
 * Compiles the query AST (proto/moodpoll/query/v1) into a MongoDB filter. Value paths become
 * `$elemMatch` over the array's elements, whose own fields are mapped by `element` maps.
 */
export function filterToMongo(
  filter: Filter,
  fields: FieldMap,
  elements: Record<string, FieldMap> = {},
): Document {
  const kind = filter.kind;
  switch (kind.case) {
    case "and":
      return conjunction(kind.value.operands.map((f) => filterToMongo(f, fields, elements)));
    case "or":
      return { $or: kind.value.operands.map((f) => filterToMongo(f, fields, elements)) };
    case "not":
      return { $nor: [filterToMongo(kind.value, fields, elements)] };
    case "present": {
      const mapping = lookup(fields, kind.value.attribute);
      return mapping.array
        ? { [`${mapping.field}.0`]: { $exists: true } }
        : { $and: [{ [mapping.field]: { $exists: true } }, { [mapping.field]: { $nin: [null, ""] } }] };
    }
    case "comparison": {
      const { attribute, operator, value, caseExact } = kind.value;
      return comparison(lookup(fields, attribute), operator, scalar(value), caseExact);
    }
    case "valuePath": {
      const elementFields = elements[kind.value.attribute];
      const array = fields[`${kind.value.attribute}.value`] ?? fields[kind.value.attribute];
      if (!elementFields || !kind.value.filter || !array) {
        throw errors.invalidArgument(`Cannot filter inside "${kind.value.attribute}"`);
      }
      const base = array.field.replace(/\.[^.]+$/, "");
      const inner = kind.value.filter;
      // One condition on one element is the same as a condition on the array's dotted field, which
      // every server runs (FerretDB 1.24 runs $elemMatch only over scalar arrays).
      if (inner.kind.case === "comparison" || inner.kind.case === "present") {
        const prefixed: FieldMap = Object.fromEntries(
          Object.entries(elementFields).map(([name, m]) => [name, { ...m, field: `${base}.${m.field}` }]),
        );
        return filterToMongo(inner, prefixed);
      }
      return { [base]: { $elemMatch: filterToMongo(inner, elementFields) } };
    }
    default:
      throw errors.invalidArgument("Empty filter");
  }
}
