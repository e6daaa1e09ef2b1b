import type { IndexDescription } from "mongodb";

/** A team (SCIM Group). `displayNameLower` carries the per-tenant case-insensitive uniqueness. */
export interface TeamRecord {
  _id: string;
  tenantId: string;
  displayName: string;
  displayNameLower: string;
  externalId?: string;
  isDefault: boolean;
  /** Set when the team is deleted: the team is gone for SCIM, its members are being re-homed. */
  deletedAt?: Date;
  memberCount: number;
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
  created: Date;
}

export const TEAMS = "teams";
export const MEMBERSHIPS = "memberships";

export const teamIndexes: Record<string, IndexDescription[]> = {
  [TEAMS]: [
    { key: { tenantId: 1, displayNameLower: 1 }, name: "tenant_displayName", unique: true },
    { key: { tenantId: 1, isDefault: 1 }, name: "tenant_default" },
    { key: { tenantId: 1, created: 1, _id: 1 }, name: "tenant_created" },
  ],
  [MEMBERSHIPS]: [
    { key: { teamId: 1, userId: 1 }, name: "team_user", unique: true },
    { key: { tenantId: 1, userId: 1 }, name: "tenant_user" },
  ],
};

/** The membership id is derived, so inserting the same membership twice is a duplicate key. */
export const membershipId = (teamId: string, userId: string) => `${teamId}:${userId}`;
