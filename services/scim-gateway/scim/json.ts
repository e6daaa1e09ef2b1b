import { ScimError, ScimType } from "./error.ts";

/** Helpers that read a SCIM JSON body with case-insensitive attribute names (RFC 7643 §2.1). */
export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Looks a key up case-insensitively. */
export function pick(obj: Json, name: string): unknown {
  if (name in obj) return obj[name];
  const lower = name.toLowerCase();
  const key = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : obj[key];
}

const wrongType = (path: string, expected: string, got: unknown) =>
  ScimError.badRequest(
    ScimType.InvalidValue,
    `"${path}" must be ${expected} (got ${JSON.stringify(got)?.slice(0, 80)})`,
  );

/** A string attribute; null or absent is undefined. */
export function optionalString(obj: Json, name: string, path = name): string | undefined {
  const v = pick(obj, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw wrongType(path, "a string", v);
  return v;
}

/** A boolean attribute, accepting "true"/"false" strings (Entra). */
export function optionalBoolean(obj: Json, name: string, path = name): boolean | undefined {
  const v = pick(obj, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
  throw wrongType(path, "a boolean", v);
}

export function optionalObject(obj: Json, name: string, path = name): Json | undefined {
  const v = pick(obj, name);
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw wrongType(path, "an object", v);
  return v;
}

export function optionalArray(obj: Json, name: string, path = name): unknown[] | undefined {
  const v = pick(obj, name);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw wrongType(path, "an array", v);
  return v as unknown[];
}

/** The body of a POST or PUT: a JSON object whose `schemas` (when sent) are all known. */
export function resourceBody(body: unknown, known: readonly string[], core: string): Json {
  if (!isObject(body)) throw ScimError.badRequest(ScimType.InvalidSyntax, "The body must be a JSON object");
  const schemas = pick(body, "schemas");
  if (schemas !== undefined) {
    if (!Array.isArray(schemas) || schemas.some((s) => typeof s !== "string")) {
      throw ScimError.badRequest(ScimType.InvalidSyntax, '"schemas" must be an array of schema URNs');
    }
    const unknown = (schemas as string[]).filter(
      (s) => !known.some((k) => k.toLowerCase() === s.toLowerCase()),
    );
    if (unknown.length > 0) {
      throw ScimError.badRequest(
        ScimType.InvalidValue,
        `Unknown schema ${unknown.map((u) => `"${u}"`).join(", ")}`,
      );
    }
    if (!(schemas as string[]).some((s) => s.toLowerCase() === core.toLowerCase())) {
      throw ScimError.badRequest(ScimType.InvalidValue, `"schemas" must contain "${core}"`);
    }
  }
  return body;
}
