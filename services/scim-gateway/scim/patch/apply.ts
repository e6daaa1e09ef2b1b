import { ScimError, ScimType } from "../error.ts";
import { equalities, matchesElement } from "../filter/evaluate.ts";
import { resolveAttribute, type ResolvedAttribute } from "../path.ts";
import type { AttributeDef, ResourceTypeDef } from "../schema.ts";
import { parsePatchPath, type PatchOp, type PatchOperation, type PatchPath } from "./request.ts";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const invalidPath = (detail: string) => ScimError.badRequest(ScimType.InvalidPath, detail);

/**
 * Coerces a value to an attribute's type where identity providers are known to be loose: Entra
 * sends booleans as "True"/"False" strings, and sub-attribute names in any case.
 */
export function coerce(def: AttributeDef, value: unknown): unknown {
  if (def.multiValued && Array.isArray(value))
    return value.map((v) => coerce({ ...def, multiValued: false }, v));
  if (def.type === "boolean" && typeof value === "string" && /^(true|false)$/i.test(value)) {
    return value.toLowerCase() === "true";
  }
  if (def.type === "complex" && isObject(value)) {
    const out: Json = {};
    for (const [key, v] of Object.entries(value)) {
      const sub = def.subAttributes?.find((s) => s.name.toLowerCase() === key.toLowerCase());
      out[sub?.name ?? key] = sub ? coerce(sub, v) : v;
    }
    return out;
  }
  return value;
}

/** The object that holds the attribute: the resource itself, or its extension object. */
function container(doc: Json, resolved: ResolvedAttribute, create: boolean): Json | undefined {
  if (resolved.jsonPath.length === (resolved.subAttribute ? 2 : 1)) return doc;
  const urn = resolved.jsonPath[0]!;
  if (!isObject(doc[urn])) {
    if (!create) return undefined;
    doc[urn] = {};
  }
  return doc[urn] as Json;
}

const sameValue = (a: unknown, b: unknown) =>
  isObject(a) && isObject(b) && "value" in a && "value" in b
    ? String(a["value"]).toLowerCase() === String(b["value"]).toLowerCase()
    : JSON.stringify(a) === JSON.stringify(b);

/** RFC 7643 §2.4: at most one element may be primary; the newest primary wins. */
function keepOnePrimary(list: unknown[]): void {
  const last = list.findLastIndex((e) => isObject(e) && e["primary"] === true);
  if (last === -1) return;
  list.forEach((e, i) => {
    if (i !== last && isObject(e) && e["primary"] === true) e["primary"] = false;
  });
}

function applyFiltered(
  holder: Json,
  attr: AttributeDef,
  op: PatchOp,
  path: PatchPath,
  value: unknown,
  raw: string,
) {
  if (!attr.multiValued || attr.type !== "complex")
    throw invalidPath(`"${raw}": a filter needs a multi-valued complex attribute`);
  const subs = attr.subAttributes ?? [];
  const subDef = path.subAttribute
    ? subs.find((s) => s.name.toLowerCase() === path.subAttribute!.toLowerCase())
    : undefined;
  if (path.subAttribute && !subDef)
    throw invalidPath(`"${raw}": unknown sub-attribute "${path.subAttribute}"`);
  const list = (Array.isArray(holder[attr.name]) ? holder[attr.name] : []) as Json[];
  const matched = list.filter((e) => isObject(e) && matchesElement(e, path.filter!, subs));
  if (op === "remove") {
    const next = subDef ? list : list.filter((e) => !matched.includes(e));
    if (subDef) matched.forEach((e) => delete e[subDef.name]);
    if (next.length === 0) delete holder[attr.name];
    else holder[attr.name] = next;
    return;
  }
  if (matched.length === 0) {
    // Entra adds `emails[type eq "work"].value` before any work email exists: create the element
    // the equality filter describes. Anything else has nothing to act on (RFC 7644 §3.5.2.3).
    const pinned = equalities(path.filter!);
    if (!pinned) throw ScimError.badRequest(ScimType.NoTarget, `"${raw}" matches no value`);
    const element = coerce(attr, {
      ...pinned,
      ...(subDef ? { [subDef.name]: value } : isObject(value) ? value : {}),
    });
    holder[attr.name] = [...list, element];
    keepOnePrimary(holder[attr.name] as unknown[]);
    return;
  }
  for (const element of matched) {
    if (subDef) element[subDef.name] = coerce(subDef, value);
    else if (isObject(value)) Object.assign(element, coerce({ ...attr, multiValued: false }, value) as Json);
    else throw ScimError.badRequest(ScimType.InvalidValue, `"${raw}": the value must be an object`);
  }
  keepOnePrimary(list);
}

function applyAt(
  doc: Json,
  op: PatchOp,
  path: PatchPath,
  value: unknown,
  type: ResourceTypeDef,
  pathLess: boolean,
) {
  const raw = path.attribute + (path.subAttribute ? `.${path.subAttribute}` : "");
  const resolved = resolveAttribute(path.attribute, type);
  if (!resolved) throw invalidPath(`Unknown attribute "${path.attribute}"`);
  const attr = resolved.attribute;
  const leaf = resolved.subAttribute ?? attr;
  if (attr.mutability === "readOnly" || leaf.mutability === "readOnly") {
    if (pathLess) return; // Okta sends {"id": …, "displayName": …}: read-only keys are ignored.
    throw ScimError.badRequest(ScimType.Mutability, `"${raw}" is read-only`);
  }
  const holder = container(doc, resolved, op !== "remove");
  if (!holder) return;
  if (path.filter) {
    if (resolved.subAttribute) throw invalidPath(`Invalid path "${raw}"`);
    applyFiltered(holder, attr, op, path, value, raw);
    return;
  }
  if (resolved.subAttribute) {
    const sub = resolved.subAttribute;
    if (attr.multiValued) {
      const list = (Array.isArray(holder[attr.name]) ? holder[attr.name] : []) as Json[];
      for (const e of list) {
        if (op === "remove") delete e[sub.name];
        else e[sub.name] = coerce(sub, value);
      }
      return;
    }
    const obj = isObject(holder[attr.name]) ? (holder[attr.name] as Json) : (holder[attr.name] = {} as Json);
    if (op === "remove" || value === null) delete obj[sub.name];
    else obj[sub.name] = coerce(sub, value);
    if (Object.keys(obj).length === 0) delete holder[attr.name];
    return;
  }
  if (op === "remove") {
    // Entra's legacy form `{"op":"Remove","path":"members","value":[{"value":"id"}]}` removes only those.
    if (attr.multiValued && Array.isArray(value) && Array.isArray(holder[attr.name])) {
      const next = (holder[attr.name] as unknown[]).filter((e) => !value.some((v) => sameValue(e, v)));
      if (next.length === 0) delete holder[attr.name];
      else holder[attr.name] = next;
    } else delete holder[attr.name];
    return;
  }
  if (value === null) {
    delete holder[attr.name];
    return;
  }
  const coerced = coerce(attr, value);
  if (attr.multiValued) {
    const incoming = Array.isArray(coerced) ? coerced : [coerced];
    if (op === "add") {
      const list = Array.isArray(holder[attr.name]) ? [...(holder[attr.name] as unknown[])] : [];
      for (const v of incoming) {
        const at = list.findIndex((e) => sameValue(e, v));
        if (at === -1) list.push(v);
        else if (isObject(list[at]) && isObject(v)) list[at] = { ...list[at], ...v };
      }
      holder[attr.name] = list;
    } else holder[attr.name] = incoming;
    keepOnePrimary(holder[attr.name] as unknown[]);
  } else if (attr.type === "complex" && isObject(coerced) && isObject(holder[attr.name])) {
    // Sub-attributes not in the value are left unchanged (RFC 7644 §3.5.2.1 and §3.5.2.3).
    holder[attr.name] = { ...(holder[attr.name] as Json), ...coerced };
  } else holder[attr.name] = coerced;
}

/**
 * Applies PATCH operations to a copy of a resource's SCIM JSON and returns the copy; the caller
 * validates and stores the result as a whole, so a PATCH applies entirely or not at all.
 * @throws ScimError 400 invalidPath / noTarget / mutability / invalidValue
 */
export function applyPatch(
  resource: Json,
  operations: readonly PatchOperation[],
  type: ResourceTypeDef,
): Json {
  const doc = structuredClone(resource);
  for (const operation of operations) {
    if (operation.path) {
      applyAt(doc, operation.op, operation.path, operation.value, type, false);
      continue;
    }
    for (const [key, value] of Object.entries(operation.value as Json)) {
      if (key.toLowerCase() === "schemas") continue;
      const extension = type.extensions.find((s) => s.id.toLowerCase() === key.toLowerCase());
      if (extension && isObject(value)) {
        for (const [name, v] of Object.entries(value)) {
          applyAt(doc, operation.op, parsePatchPath(`${extension.id}:${name}`), v, type, true);
        }
        continue;
      }
      // Entra sends dotted and URN-prefixed keys ("name.givenName", "urn:…:User:employeeNumber").
      applyAt(doc, operation.op, parsePatchPath(key), value, type, true);
    }
  }
  return doc;
}
