import { ScimError, ScimType } from "../error.ts";
import { parseFilter } from "../filter/parse.ts";
import type { FilterNode } from "../filter/ast.ts";
import { Urn } from "../urns.ts";

export type PatchOp = "add" | "remove" | "replace";

/** One validated PATCH operation (RFC 7644 §3.5.2). */
export interface PatchOperation {
  readonly op: PatchOp;
  readonly path: PatchPath | undefined;
  readonly value: unknown;
  /** The raw path as sent, for error messages. */
  readonly rawPath: string | undefined;
}

/** `attrPath`, `attrPath[filter]` or `attrPath[filter].subAttr`. */
export interface PatchPath {
  readonly attribute: string;
  readonly filter: FilterNode | undefined;
  readonly subAttribute: string | undefined;
}

const MAX_OPERATIONS = 1000;

const syntax = (detail: string) => ScimError.badRequest(ScimType.InvalidSyntax, detail);

/** Parses a PATCH path; a malformed one is 400 invalidPath. */
export function parsePatchPath(raw: string): PatchPath {
  const open = raw.indexOf("[");
  if (open === -1) {
    if (!/^(urn:[\w.:-]+:)?[A-Za-z$][\w$-]*(\.[A-Za-z$][\w$-]*)?$/i.test(raw.trim())) {
      throw ScimError.badRequest(ScimType.InvalidPath, `Invalid path "${raw}"`);
    }
    return { attribute: raw.trim(), filter: undefined, subAttribute: undefined };
  }
  const close = raw.lastIndexOf("]");
  if (close < open)
    throw ScimError.badRequest(ScimType.InvalidPath, `Invalid path "${raw}": unbalanced brackets`);
  const rest = raw.slice(close + 1);
  if (rest !== "" && !/^\.[A-Za-z$][\w$-]*$/.test(rest)) {
    throw ScimError.badRequest(ScimType.InvalidPath, `Invalid path "${raw}"`);
  }
  let filter: FilterNode;
  try {
    filter = parseFilter(raw.slice(open + 1, close));
  } catch (error) {
    throw ScimError.badRequest(ScimType.InvalidPath, `Invalid path "${raw}": ${(error as Error).message}`);
  }
  return {
    attribute: raw.slice(0, open).trim(),
    filter,
    subAttribute: rest === "" ? undefined : rest.slice(1),
  };
}

/**
 * Validates a PatchOp request body. Operation names compare case-insensitively (Entra sends
 * "Replace"); an empty Operations array is 400 invalidSyntax (Entra's validator sends one).
 */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw syntax("The body must be a PatchOp object");
  const { schemas, Operations } = body as { schemas?: unknown; Operations?: unknown };
  if (schemas !== undefined && (!Array.isArray(schemas) || !schemas.includes(Urn.PatchOp))) {
    throw syntax(`"schemas" must contain "${Urn.PatchOp}"`);
  }
  if (!Array.isArray(Operations) || Operations.length === 0) {
    throw syntax('"Operations" must be a non-empty array of operations');
  }
  if (Operations.length > MAX_OPERATIONS) {
    throw ScimError.badRequest(ScimType.TooMany, `At most ${MAX_OPERATIONS} operations per request`);
  }
  return Operations.map((raw: unknown, index) => {
    if (typeof raw !== "object" || raw === null) throw syntax(`Operation ${index + 1} must be an object`);
    const { op, path, value } = raw as { op?: unknown; path?: unknown; value?: unknown };
    const name = typeof op === "string" ? op.toLowerCase() : undefined;
    if (name !== "add" && name !== "remove" && name !== "replace") {
      throw syntax(`Operation ${index + 1}: "op" must be add, remove or replace (got ${JSON.stringify(op)})`);
    }
    if (path !== undefined && (typeof path !== "string" || path.trim() === "")) {
      throw ScimError.badRequest(
        ScimType.InvalidPath,
        `Operation ${index + 1}: "path" must be a non-empty string`,
      );
    }
    if (name === "remove" && path === undefined) {
      throw ScimError.badRequest(ScimType.NoTarget, `Operation ${index + 1}: remove needs a "path"`);
    }
    if (name !== "remove" && value === undefined) {
      throw syntax(`Operation ${index + 1}: ${name} needs a "value"`);
    }
    if (
      name !== "remove" &&
      path === undefined &&
      (typeof value !== "object" || value === null || Array.isArray(value))
    ) {
      throw syntax(`Operation ${index + 1}: without a "path", "value" must be an object of attributes`);
    }
    return {
      op: name,
      path: typeof path === "string" ? parsePatchPath(path) : undefined,
      value,
      rawPath: typeof path === "string" ? path : undefined,
    };
  });
}
