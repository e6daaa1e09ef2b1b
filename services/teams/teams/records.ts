import { createHash } from "node:crypto";
import type { IndexDescription } from "mongodb";

/** A team (SCIM Group). `displayNameLower` carries the per-tenant case-insensitive uniqueness. */
export interface TeamRecord {
  _id: string;
  tenantId: string;
  displayName: string;
  /** Lower-cased name; `deleted:<id>` once deleted, which frees the name for a new team. */
  displayNameLower: string;
  externalId?: string;
  isDefault: boolean;
  /** Set when the team is deleted: from then on it is gone for SCIM, its members are re-homed. */
  deletedAt?: Date;
  /** Set when every member of a deleted team has been re-homed. */
  rehomedAt?: Date;
  /** Set when a re-homed team's memberships have been removed from storage. */
  purgedAt?: Date;
  created: Date;
  lastModified: Date;
  version: number;
}

/**
 * One membership per document, unique per (team, user): member changes are single-document
 * inserts and deletes (set operations), never a rewrite of a member list, so a team of 100,000
 * members costs nothing to read without members and little to change.
 */
export interface MembershipRecord {
  _id: string;
  tenantId: string;
  teamId: string;
  userId: string;
  /** The user's display name when they joined (refreshed by user.updated events). */
  display: string;
  created: Date;
}

/** A member as callers hand it in: already resolved to a user of the tenant. */
export interface MemberInput {
  userId: string;
  display: string;
}

/**
 * A user the teams service has heard of (from user events): the default team's members are the
 * known users of a tenant who are in no other team (default_team.ts).
 */
export interface KnownUser {
  _id: string;
  tenantId: string;
  display: string;
}

export const TEAMS = "teams";
export const MEMBERSHIPS = "memberships";
export const KNOWN_USERS = "known_users";

export const teamIndexes: Record<string, IndexDescription[]> = {
  [TEAMS]: [
    { key: { tenantId: 1, displayNameLower: 1 }, name: "tenant_displayName", unique: true },
    { key: { tenantId: 1, created: 1, _id: 1 }, name: "tenant_created" },
    { key: { deletedAt: 1, rehomedAt: 1 }, name: "deleted_rehomed" },
    { key: { rehomedAt: 1, purgedAt: 1 }, name: "rehomed_purged" },
  ],
  [KNOWN_USERS]: [{ key: { tenantId: 1 }, name: "tenant" }],
  [MEMBERSHIPS]: [
    { key: { teamId: 1, userId: 1 }, name: "team_user", unique: true },
    { key: { tenantId: 1, userId: 1 }, name: "tenant_user" },
    { key: { teamId: 1, created: 1, _id: 1 }, name: "team_created" },
  ],
};

/** The membership id is derived, so inserting the same membership twice is a duplicate key. */
export const membershipId = (teamId: string, userId: string) => `${teamId}:${userId}`;

/**
 * The default team's id is derived from the tenant id (a name-based UUID), so every replica and
 * every retry agrees on it without a lookup, and creating it twice is a duplicate key.
 */
export function defaultTeamId(tenantId: string): string {
  const h = createHash("sha256").update(`moodpoll:default-team:${tenantId}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
