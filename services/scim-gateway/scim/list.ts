import { ScimError, ScimType } from "./error.ts";
import { resolveAttribute } from "./path.ts";
import type { ResourceTypeDef } from "./schema.ts";
import { Urn } from "./urns.ts";
import type { Json } from "./json.ts";

/** The most resources one page returns (advertised as filter.maxResults). */
export const MAX_RESULTS = 200;
/** Page size when the client sends no `count`. */
export const DEFAULT_COUNT = 100;

export interface ListParams {
  filter: string | undefined;
  /** 0-based. */
  offset: number;
  limit: number;
  /** 1-based, as echoed in the response. */
  startIndex: number;
  sortBy: string | undefined;
  descending: boolean;
  attributes: string[];
  excludedAttributes: string[];
}

function integer(name: string, raw: unknown): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (typeof raw !== "string" && typeof raw !== "number") {
    throw ScimError.badRequest(ScimType.InvalidValue, `"${name}" must be an integer`);
  }
  const n = Number(raw);
  if (!Number.isInteger(n))
    throw ScimError.badRequest(ScimType.InvalidValue, `"${name}" must be an integer (got "${raw}")`);
  return n;
}

const list = (raw: unknown): string[] =>
  typeof raw === "string"
    ? raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : Array.isArray(raw)
      ? raw.filter((s): s is string => typeof s === "string")
      : [];

/**
 * Reads paging, sorting and projection parameters from a query string or a /.search body
 * (RFC 7644 §3.4.2.3–§3.4.3): startIndex < 1 counts as 1, count < 0 as 0, count is capped.
 */
export function parseListParams(source: Record<string, unknown>, type: ResourceTypeDef): ListParams {
  const startIndex = Math.max(1, integer("startIndex", source["startIndex"]) ?? 1);
  const count = Math.min(MAX_RESULTS, Math.max(0, integer("count", source["count"]) ?? DEFAULT_COUNT));
  const filter = source["filter"];
  if (filter !== undefined && typeof filter !== "string") {
    throw ScimError.badRequest(ScimType.InvalidFilter, '"filter" must be a string');
  }
  const sortByRaw = source["sortBy"];
  let sortBy: string | undefined;
  if (typeof sortByRaw === "string" && sortByRaw !== "") {
    const resolved = resolveAttribute(sortByRaw, type);
    const leaf = resolved && (resolved.subAttribute ?? resolved.attribute);
    if (!resolved || !leaf || leaf.type === "complex" || leaf.multiValued || leaf.filterable === false) {
      throw ScimError.badRequest(ScimType.InvalidValue, `Cannot sort by "${sortByRaw}"`);
    }
    sortBy = resolved.domainPath;
  }
  const order = typeof source["sortOrder"] === "string" ? source["sortOrder"].toLowerCase() : "ascending";
  if (order !== "ascending" && order !== "descending") {
    throw ScimError.badRequest(ScimType.InvalidValue, '"sortOrder" must be "ascending" or "descending"');
  }
  return {
    filter: typeof filter === "string" && filter.trim() !== "" ? filter : undefined,
    offset: startIndex - 1,
    limit: count,
    startIndex,
    sortBy,
    descending: order === "descending",
    attributes: list(source["attributes"]),
    excludedAttributes: list(source["excludedAttributes"]),
  };
}

/** A ListResponse (RFC 7644 §3.4.2): integers, and Resources present even when empty. */
export function listResponse(resources: Json[], totalResults: number, startIndex: number): Json {
  return {
    schemas: [Urn.ListResponse],
    totalResults,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
