import { ScimError, ScimType } from "./error.ts";
import { equalities } from "./filter/evaluate.ts";
import { memberIds } from "./group_resource.ts";
import { isObject } from "./json.ts";
import type { PatchOp, PatchOperation } from "./patch/request.ts";

/**
 * A group PATCH as set operations (never a rewrite of the member list, which is what makes
 * 500-member changes to a 100,000-member team cheap): a rename, an externalId change, and member
 * additions / removals, or a full replacement of the member set.
 */
export interface GroupChange {
  displayName: string | undefined;
  externalId: string | undefined;
  clearExternalId: boolean;
  replaceMembers: string[] | undefined;
  addMembers: string[];
  removeMembers: string[];
}

const invalidPath = (detail: string) => ScimError.badRequest(ScimType.InvalidPath, detail);

/** Translates PATCH operations on a Group, applying them in order (RFC 7644 §3.5.2). */
export function groupChange(operations: readonly PatchOperation[]): GroupChange {
  let displayName: string | undefined;
  let externalId: string | undefined;
  let clearExternalId = false;
  let replace: Set<string> | undefined;
  const add = new Set<string>();
  const remove = new Set<string>();

  const addIds = (ids: string[]) => {
    for (const id of ids) {
      if (replace) replace.add(id);
      else {
        add.add(id);
        remove.delete(id);
      }
    }
  };
  const removeIds = (ids: string[]) => {
    for (const id of ids) {
      if (replace) replace.delete(id);
      else {
        remove.add(id);
        add.delete(id);
      }
    }
  };
  const replaceAll = (ids: string[]) => {
    replace = new Set(ids);
    add.clear();
    remove.clear();
  };
  const membersValue = (value: unknown) => memberIds(Array.isArray(value) ? value : [value]);

  const attribute = (op: PatchOp, name: string, value: unknown, pathLess: boolean) => {
    switch (name.toLowerCase()) {
      case "displayname":
        if (op === "remove" || value === null)
          throw ScimError.badRequest(ScimType.Mutability, '"displayName" is required and cannot be removed');
        if (typeof value !== "string")
          throw ScimError.badRequest(ScimType.InvalidValue, '"displayName" must be a string');
        displayName = value;
        return;
      case "externalid":
        if (op === "remove" || value === null) {
          clearExternalId = true;
          externalId = undefined;
          return;
        }
        if (typeof value !== "string")
          throw ScimError.badRequest(ScimType.InvalidValue, '"externalId" must be a string');
        externalId = value;
        clearExternalId = false;
        return;
      case "members":
        if (op === "add") addIds(membersValue(value));
        else if (op === "replace") replaceAll(value === null ? [] : membersValue(value));
        // Entra's legacy form carries the members to remove in the value: remove only those.
        else if (Array.isArray(value) && value.length > 0) removeIds(memberIds(value));
        else replaceAll([]);
        return;
      case "id":
      case "meta":
      case "schemas":
      case "urn:moodpoll:params:scim:schemas:extension:2.0:group":
        if (pathLess) return; // read-only keys inside a path-less value are ignored (Okta's rename)
        throw ScimError.badRequest(ScimType.Mutability, `"${name}" is read-only`);
      default:
        throw invalidPath(`Unknown or unsupported attribute "${name}" on a Group`);
    }
  };

  for (const operation of operations) {
    const path = operation.path;
    if (!path) {
      for (const [key, value] of Object.entries(operation.value as Record<string, unknown>))
        attribute(operation.op, key, value, true);
      continue;
    }
    const name = path.attribute.replace(/^urn:ietf:params:scim:schemas:core:2\.0:Group:/i, "");
    if (!path.filter) {
      if (path.subAttribute || name.includes("."))
        throw invalidPath(`Unsupported path "${operation.rawPath}"`);
      attribute(operation.op, name, operation.value, false);
      continue;
    }
    // members[value eq "id"]: Okta's removal, with the id only in the path and no value.
    const pinned = equalities(path.filter);
    const id = pinned ? Object.entries(pinned).find(([k]) => k.toLowerCase() === "value")?.[1] : undefined;
    if (name.toLowerCase() !== "members" || typeof id !== "string" || path.subAttribute) {
      throw invalidPath(`Unsupported path "${operation.rawPath}": use members[value eq "<user id>"]`);
    }
    if (operation.op === "remove") removeIds([id]);
    else if (isObject(operation.value) || operation.value === undefined) addIds([id]);
    else throw invalidPath(`Unsupported path "${operation.rawPath}"`);
  }
  return {
    displayName,
    externalId,
    clearExternalId,
    replaceMembers: replace ? [...replace] : undefined,
    addMembers: [...add],
    removeMembers: [...remove],
  };
}
