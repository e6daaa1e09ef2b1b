import { resolveAttribute } from "./path.ts";
import type { ResourceTypeDef } from "./schema.ts";
import { isObject, type Json } from "./json.ts";

/** Whether `members` (or another attribute) is needed at all, so the caller can skip loading it. */
export function wantsAttribute(
  name: string,
  attributes: readonly string[],
  excluded: readonly string[],
): boolean {
  const lower = name.toLowerCase();
  if (attributes.length > 0)
    return attributes.some(
      (a) => a.toLowerCase().split(".")[0] === lower || a.toLowerCase().endsWith(`:${lower}`),
    );
  return !excluded.some((a) => a.toLowerCase() === lower || a.toLowerCase().endsWith(`:${lower}`));
}

function deletePath(doc: Json, jsonPath: readonly string[]): void {
  const [head, ...rest] = jsonPath;
  if (head === undefined || !(head in doc)) return;
  if (rest.length === 0) {
    delete doc[head];
    return;
  }
  const child = doc[head];
  if (isObject(child)) {
    deletePath(child, rest);
    if (Object.keys(child).length === 0) delete doc[head];
  } else if (Array.isArray(child)) {
    for (const item of child) if (isObject(item)) deletePath(item, rest);
  }
}

function copyPath(from: Json, to: Json, jsonPath: readonly string[]): void {
  const [head, ...rest] = jsonPath;
  if (head === undefined || !(head in from)) return;
  if (rest.length === 0) {
    to[head] = from[head];
    return;
  }
  const child = from[head];
  if (isObject(child)) {
    const existing = to[head];
    const target: Json = isObject(existing) ? existing : {};
    copyPath(child, target, rest);
    if (Object.keys(target).length > 0) to[head] = target;
  } else if (Array.isArray(child)) {
    to[head] = child.map((item) => {
      const out: Json = {};
      if (isObject(item)) copyPath(item, out, rest);
      return out;
    });
  }
}

/**
 * Applies `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5) to a rendered resource.
 * `id` and `schemas` are always returned; unknown names are ignored, as the RFC allows.
 */
export function project(
  resource: Json,
  attributes: readonly string[],
  excluded: readonly string[],
  type: ResourceTypeDef,
): Json {
  if (attributes.length > 0) {
    const out: Json = { schemas: resource["schemas"], id: resource["id"] };
    for (const name of attributes) {
      const resolved = resolveAttribute(name, type);
      if (resolved) copyPath(resource, out, resolved.jsonPath);
    }
    return out;
  }
  if (excluded.length === 0) return resource;
  const out = structuredClone(resource);
  for (const name of excluded) {
    const resolved = resolveAttribute(name, type);
    if (resolved && resolved.attribute.returned !== "always") deletePath(out, resolved.jsonPath);
  }
  return out;
}
