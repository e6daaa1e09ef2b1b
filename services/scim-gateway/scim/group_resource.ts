import { ScimError, ScimType } from "./error.ts";
import { isObject, optionalArray, optionalString, resourceBody, type Json } from "./json.ts";
import { etagOf } from "./user_resource.ts";
import { Urn } from "./urns.ts";

/** A group as the gateway gets it from the teams service. */
export interface GroupView {
  id: string;
  displayName: string;
  externalId: string | undefined;
  isDefault: boolean;
  members: { userId: string; display: string }[] | undefined;
  created: Date | undefined;
  lastModified: Date | undefined;
  version: bigint;
}

export interface GroupInput {
  displayName: string | undefined;
  externalId: string | undefined;
  /** Member user ids; undefined when the body has no `members`. */
  memberIds: string[] | undefined;
}

const KNOWN = [Urn.Group, Urn.MoodpollGroup];

/** Reads member references: objects with a string `value`; `type`, when sent, must be "User". */
export function memberIds(list: unknown[], path = "members"): string[] {
  return list.map((raw, i) => {
    if (!isObject(raw))
      throw ScimError.badRequest(ScimType.InvalidValue, `"${path}[${i}]" must be an object with a "value"`);
    const value = optionalString(raw, "value", `${path}[${i}].value`);
    if (!value) throw ScimError.badRequest(ScimType.InvalidValue, `"${path}[${i}].value" is required`);
    const type = optionalString(raw, "type", `${path}[${i}].type`);
    if (type !== undefined && type.toLowerCase() !== "user") {
      throw ScimError.badRequest(
        ScimType.InvalidValue,
        `"${path}[${i}].type" must be "User": groups cannot contain groups`,
      );
    }
    return value;
  });
}

/** Reads a Group from a POST/PUT body. Read-only attributes (id, meta) are ignored. */
export function parseGroupResource(input: unknown): GroupInput {
  const body = resourceBody(input, KNOWN, Urn.Group);
  const members = optionalArray(body, "members");
  return {
    displayName: optionalString(body, "displayName"),
    externalId: optionalString(body, "externalId"),
    memberIds: members ? memberIds(members) : undefined,
  };
}

/** Renders a Group (RFC 7643 §4.2); `members` only when they were loaded. */
export function renderGroup(group: GroupView, baseUrl: string): Json {
  return {
    schemas: [Urn.Group, Urn.MoodpollGroup],
    id: group.id,
    ...(group.externalId !== undefined ? { externalId: group.externalId } : {}),
    displayName: group.displayName,
    ...(group.members
      ? {
          members: group.members.map((m) => ({
            value: m.userId,
            display: m.display,
            $ref: `${baseUrl}/Users/${m.userId}`,
            type: "User",
          })),
        }
      : {}),
    [Urn.MoodpollGroup]: { isDefault: group.isDefault },
    meta: {
      resourceType: "Group",
      ...(group.created ? { created: group.created.toISOString() } : {}),
      ...(group.lastModified ? { lastModified: group.lastModified.toISOString() } : {}),
      location: `${baseUrl}/Groups/${group.id}`,
      version: etagOf(group.version),
    },
  };
}
