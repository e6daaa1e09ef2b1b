import { ScimError } from "./error.ts";

/**
 * Reads an If-Match header (RFC 7232 §3.1, RFC 7644 §3.14) into the resource version it names:
 * undefined when absent or "*", the version for `W/"7"` or `"7"`; an entity tag this server never
 * issued cannot match, so it is 412.
 */
export function versionFromIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === "*") return undefined;
  const versions = header
    .split(",")
    .map((tag) => /^\s*(?:W\/)?"(\d+)"\s*$/.exec(tag)?.[1])
    .filter((v): v is string => v !== undefined);
  if (versions.length !== 1)
    throw new ScimError(412, undefined, `If-Match ${header} does not match the current version`);
  return Number(versions[0]);
}
