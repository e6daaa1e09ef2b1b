import type { AttributeDef, ResourceTypeDef, SchemaDef } from "./schema.ts";
import { commonAttributes } from "./schema.ts";
import { Urn } from "./urns.ts";

/** An attribute path resolved against a resource type's schemas (RFC 7644 §3.10). */
export interface ResolvedAttribute {
  readonly schema: SchemaDef | undefined;
  readonly attribute: AttributeDef;
  readonly subAttribute: AttributeDef | undefined;
  /** Where the attribute sits in the resource's JSON: ["name","givenName"], [enterpriseUrn,"manager","value"]. */
  readonly jsonPath: readonly string[];
  /** The path in domain terms sent to services: "name.givenName", "enterprise.manager.value". */
  readonly domainPath: string;
}

/** Domain prefix of each extension's attributes (core attributes have none). */
const DOMAIN_PREFIX: Record<string, string> = {
  [Urn.EnterpriseUser]: "enterprise.",
};

/** Splits "urn:…:User:name.givenName" into the schema URN (if any) and "name.givenName". */
export function splitUrn(path: string, resource: ResourceTypeDef): { urn: string | undefined; rest: string } {
  if (!/^urn:/i.test(path)) return { urn: undefined, rest: path };
  const lower = path.toLowerCase();
  const schemas = [resource.core, ...resource.extensions]
    .map((s) => s.id)
    .sort((a, b) => b.length - a.length);
  for (const urn of schemas) {
    if (lower === urn.toLowerCase()) return { urn, rest: "" };
    if (lower.startsWith(`${urn.toLowerCase()}:`)) return { urn, rest: path.slice(urn.length + 1) };
  }
  return { urn: path, rest: "" };
}

const findAttribute = (list: readonly AttributeDef[] | undefined, name: string) =>
  list?.find((a) => a.name.toLowerCase() === name.toLowerCase());

/**
 * Resolves `[URN:]attr[.sub]`; names compare case-insensitively (RFC 7643 §2.1). Returns undefined
 * for an unknown attribute so callers can choose the right scimType (invalidFilter, invalidPath…).
 */
export function resolveAttribute(path: string, resource: ResourceTypeDef): ResolvedAttribute | undefined {
  const { urn, rest } = splitUrn(path, resource);
  if (rest === "") return undefined;
  const [name, sub, ...extra] = rest.split(".");
  if (!name || extra.length > 0) return undefined;
  let schema: SchemaDef | undefined;
  let attribute: AttributeDef | undefined;
  if (urn === undefined) {
    attribute = findAttribute(commonAttributes, name);
    if (!attribute) {
      schema = resource.core;
      attribute = findAttribute(schema.attributes, name);
    }
  } else {
    schema = [resource.core, ...resource.extensions].find((s) => s.id === urn);
    attribute = findAttribute(schema?.attributes, name);
  }
  if (!attribute) return undefined;
  let subAttribute: AttributeDef | undefined;
  if (sub !== undefined) {
    subAttribute = findAttribute(attribute.subAttributes, sub);
    if (!subAttribute) return undefined;
  }
  const inExtension = schema !== undefined && schema !== resource.core;
  const names = [attribute.name, ...(subAttribute ? [subAttribute.name] : [])];
  return {
    schema,
    attribute,
    subAttribute,
    jsonPath: inExtension ? [schema!.id, ...names] : names,
    domainPath: `${inExtension ? (DOMAIN_PREFIX[schema!.id] ?? "") : ""}${names.join(".")}`,
  };
}

/** The definition that governs the value at the end of the path (the sub-attribute when there is one). */
export function leafOf(resolved: ResolvedAttribute): AttributeDef {
  return resolved.subAttribute ?? resolved.attribute;
}
