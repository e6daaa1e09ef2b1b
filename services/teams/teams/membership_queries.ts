import type { Db } from "mongodb";
import { MEMBERSHIPS, TEAMS, type MembershipRecord, type TeamRecord } from "./records.ts";

export interface TeamRefRecord {
  id: string;
  displayName: string;
  isDefault: boolean;
}

/** The live teams of each user (the SCIM User `groups` attribute), two queries for any page size. */
export async function teamsOfUsers(
  db: Db,
  tenantId: string,
  userIds: readonly string[],
): Promise<Map<string, TeamRefRecord[]>> {
  const result = new Map<string, TeamRefRecord[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return result;
  const memberships = await db
    .collection<MembershipRecord>(MEMBERSHIPS)
    .find({ tenantId, userId: { $in: [...userIds] } }, { projection: { teamId: 1, userId: 1 } })
    .toArray();
  const teamIds = [...new Set(memberships.map((m) => m.teamId))];
  if (teamIds.length === 0) return result;
  const teams = await db
    .collection<TeamRecord>(TEAMS)
    .find(
      { _id: { $in: teamIds }, deletedAt: { $exists: false } },
      { projection: { displayName: 1, isDefault: 1 } },
    )
    .toArray();
  const byId = new Map(teams.map((t) => [t._id, t]));
  for (const m of memberships) {
    const team = byId.get(m.teamId);
    if (team)
      result.get(m.userId)?.push({ id: team._id, displayName: team.displayName, isDefault: team.isDefault });
  }
  return result;
}
