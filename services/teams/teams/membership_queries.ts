import type { Collection, Db } from "mongodb";
import { findByIds } from "../../../platform/mod.ts";
import { defaultTeamMembers, withDefaultTeam } from "./default_team.ts";
import {
  KNOWN_USERS,
  MEMBERSHIPS,
  membershipId,
  TEAMS,
  type KnownUser,
  type MembershipRecord,
  type TeamRecord,
} from "./records.ts";

export interface TeamRefRecord {
  id: string;
  displayName: string;
  isDefault: boolean;
}

type LiveTeam = Pick<TeamRecord, "_id" | "displayName" | "isDefault">;

/**
 * Above this many (user, team) pairs one query over the memberships beats probing each pair.
 * Probing matters on FerretDB, whose SQLite backend reads a whole collection for any filter but
 * `_id` equality: a user's teams are a few point reads instead of a scan of every membership.
 */
const PROBE_LIMIT = 2000;

/** The tenant's live (not deleted) teams: few per tenant, so one small read. */
export async function liveTeams(store: TeamsStore, tenantId: string): Promise<LiveTeam[]> {
  return store.db
    .collection<TeamRecord>(TEAMS)
    .find({ tenantId, deletedAt: { $exists: false } }, { projection: { displayName: 1, isDefault: 1 } })
    .toArray();
}

/** Where the team queries run, and whether it serves anything but `_id` equality (MongoHandle). */
export interface TeamsStore {
  db: Db;
  pointReadsOnly: boolean;
}

/**
 * The memberships of these users in these teams. On MongoDB one indexed query; on FerretDB point
 * reads by derived _id while there are few pairs, else one read of the tenant's memberships.
 */
export async function membershipsOf(
  store: TeamsStore,
  tenantId: string,
  userIds: readonly string[],
  teams: readonly Pick<TeamRecord, "_id">[],
): Promise<Pick<MembershipRecord, "teamId" | "userId">[]> {
  const memberships: Collection<MembershipRecord> = store.db.collection(MEMBERSHIPS);
  const users = [...new Set(userIds)];
  if (users.length === 0 || teams.length === 0) return [];
  const teamIds = new Set(teams.map((t) => t._id));
  if (!store.pointReadsOnly) {
    return memberships
      .find(
        { tenantId, userId: { $in: users }, teamId: { $in: [...teamIds] } },
        { projection: { teamId: 1, userId: 1 } },
      )
      .toArray();
  }
  if (users.length * teams.length <= PROBE_LIMIT) {
    const ids = users.flatMap((u) => teams.map((t) => membershipId(t._id, u)));
    return findByIds(memberships, ids, { projection: { teamId: 1, userId: 1 }, concurrency: 32 });
  }
  const wanted = new Set(users);
  const rows = await memberships.find({ tenantId }, { projection: { teamId: 1, userId: 1 } }).toArray();
  return rows.filter((r) => teamIds.has(r.teamId) && wanted.has(r.userId));
}

/**
 * The live teams of each user (the SCIM User `groups` attribute): memberships are read for the
 * tenant's own teams only, and a user in none of them is in the default team (default_team.ts).
 * So a page of users who are only in the default team costs no membership read at all.
 */
export async function teamsOfUsers(
  store: TeamsStore,
  tenantId: string,
  userIds: readonly string[],
): Promise<Map<string, TeamRefRecord[]>> {
  const result = new Map<string, TeamRefRecord[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return result;
  const teams = await liveTeams(store, tenantId);
  const ref = (team: LiveTeam): TeamRefRecord => ({
    id: team._id,
    displayName: team.displayName,
    isDefault: team.isDefault,
  });
  const byId = new Map(teams.map((t) => [t._id, t]));
  const others = teams.filter((t) => !t.isDefault);
  for (const m of await membershipsOf(store, tenantId, userIds, others)) {
    const team = byId.get(m.teamId);
    if (team) result.get(m.userId)?.push(ref(team));
  }
  const defaultTeam = teams.find((t) => t.isDefault);
  return withDefaultTeam(result, defaultTeam && ref(defaultTeam));
}

/** The default team's members, derived: the tenant's known users who are in no other live team. */
export async function defaultTeamMembersOf(
  store: TeamsStore,
  tenantId: string,
): Promise<{ userId: string; display: string }[]> {
  const known = await store.db
    .collection<KnownUser>(KNOWN_USERS)
    .find({ tenantId })
    .sort({ _id: 1 })
    .toArray();
  const others = (await liveTeams(store, tenantId)).filter((t) => !t.isDefault);
  const inOther = new Set(
    (
      await membershipsOf(
        store,
        tenantId,
        known.map((u) => u._id),
        others,
      )
    ).map((m) => m.userId),
  );
  return defaultTeamMembers(known, inOther);
}

/** The live teams a user is in, the default team included when it is the only one. */
export async function teamIdsOfUser(store: TeamsStore, tenantId: string, userId: string): Promise<string[]> {
  const known = await store.db
    .collection<KnownUser>(KNOWN_USERS)
    .findOne({ _id: userId }, { projection: { tenantId: 1 } });
  if (known?.tenantId !== tenantId) return [];
  return ((await teamsOfUsers(store, tenantId, [userId])).get(userId) ?? []).map((t) => t.id);
}
