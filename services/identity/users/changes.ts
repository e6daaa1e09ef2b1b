import { toJson } from "@bufbuild/protobuf";
import { UserSchema, type User } from "../../../gen/moodpoll/identity/v1/identity_pb.ts";

/** Fields that change on every write and say nothing about what the IdP changed. */
const BOOKKEEPING_FIELDS = new Set(["version", "lastModified"]);

/**
 * The User fields (JSON names) whose values differ between two states of a user. Carried by
 * user.updated events so that subscribers skip what does not concern them (teams only shows a
 * member's display name).
 */
export function changedFields(before: User, after: User): string[] {
  const a = toJson(UserSchema, before) as Record<string, unknown>;
  const b = toJson(UserSchema, after) as Record<string, unknown>;
  return UserSchema.fields
    .map((f) => f.jsonName)
    .filter((name) => !BOOKKEEPING_FIELDS.has(name) && JSON.stringify(a[name]) !== JSON.stringify(b[name]));
}
