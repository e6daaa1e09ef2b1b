import type { FieldMap } from "../../../platform/mod.ts";

/** Domain attribute → stored field for group filters (members.value is resolved separately). */
export const teamFields: FieldMap = {
  id: { field: "_id" },
  displayName: { field: "displayNameLower", lowered: true },
  externalId: { field: "externalId" },
  "meta.created": { field: "created" },
  "meta.lastModified": { field: "lastModified" },
};

export const TEAM_SORT_FIELDS: Record<string, string> = {
  id: "_id",
  displayName: "displayNameLower",
  externalId: "externalId",
  "meta.created": "created",
  "meta.lastModified": "lastModified",
};
