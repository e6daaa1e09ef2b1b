import type { Collection, Db } from "mongodb";
import { isDuplicateKey } from "../../../platform/mod.ts";
import {
  defaultTeamId,
  MEMBERSHIPS,
  membershipId,
  TEAMS,
  type MemberInput,
  type MembershipRecord,
  type TeamRecord,
} from "./records.ts";

/** Membership set operations and the default-team invariant, as idempotent batched writes. */
export interface Memberships {
  /** Adds members (already there: no-op); joining a non-default team leaves the default team. */
  add(
    team: Pick<TeamRecord, "_id" | "tenantId" | "isDefault">,
    members: readonly MemberInput[],
  ): Promise<void>;
  /** Removes members; a user left with no team goes back to the default team. */
  remove(team: Pick<TeamRecord, "_id" | "tenantId">, userIds: readonly string[]): Promise<void>;
  /** Of these users, those who belong to a live non-default team other than `exceptTeamId`. */
  withOtherTeam(tenantId: string, userIds: readonly string[], exceptTeamId?: string): Promise<Set<string>>;
  /**
   * Recomputes the invariant for these users from stored state (level-triggered): in the default
   * team if and only if in no other live team. `displays` names users who have no membership yet.
   */
  reconcile(
    tenantId: string,
    userIds: readonly string[],
    displays?: ReadonlyMap<string, string>,
  ): Promise<void>;
  /** Places a user who was just created: the default team, unless they already joined a team. */
  placeNewUser(tenantId: string, userId: string, display: string): Promise<void>;
  /** Inserts memberships that do not exist yet (duplicates are ignored). */
  insertMissing(tenantId: string, teamId: string, members: readonly MemberInput[]): Promise<void>;
}

const BATCH = 1000;
export const JOINED_MARKERS = "joined_markers";

function chunks<T>(items: readonly T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * FerretDB's SQLite backend runs only `_id` equality without scanning a whole collection, so every
 * operation on a known (team, user) pair goes through the derived membership _id, one document at
 * a time; only "which teams is this user in" needs a query on userId (an index on MongoDB).
 */
export function createMemberships(db: Db): Memberships {
  const memberships: Collection<MembershipRecord> = db.collection(MEMBERSHIPS);
  const teams: Collection<TeamRecord> = db.collection(TEAMS);

  // "This user has joined a non-default team at some point": existence only (no counter, which
  // FerretDB's non-atomic updates could lose), so placing a brand-new user needs no membership query.
  const joinedMarkers: Collection<{ _id: string }> = db.collection(JOINED_MARKERS);
  const markJoined = async (userIds: readonly string[]) => {
    for (const batch of chunks(userIds)) {
      try {
        await joinedMarkers.insertMany(
          batch.map((_id) => ({ _id })),
          { ordered: false },
        );
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    }
  };

  const insertMissing = async (tenantId: string, teamId: string, members: readonly MemberInput[]) => {
    for (const batch of chunks(members)) {
      const now = new Date();
      const docs = batch.map((m) => ({
        _id: membershipId(teamId, m.userId),
        tenantId,
        teamId,
        userId: m.userId,
        display: m.display,
        created: now,
      }));
      try {
        await memberships.insertMany(docs, { ordered: false });
      } catch (error) {
        // Some were members already (or a concurrent writer got there first): the set is right.
        if (!isDuplicateKey(error)) throw error;
      }
    }
  };

  const deleteMembers = async (teamId: string, userIds: readonly string[]) => {
    for (const userId of userIds) await memberships.deleteOne({ _id: membershipId(teamId, userId) });
  };

  const withOtherTeam = async (tenantId: string, userIds: readonly string[], exceptTeamId?: string) => {
    const result = new Set<string>();
    const excluded = new Set([defaultTeamId(tenantId), ...(exceptTeamId ? [exceptTeamId] : [])]);
    // Many users (a large team's deletion): one pass over the tenant's memberships beats many $in queries.
    const wanted = new Set(userIds);
    const groups: (string[] | undefined)[] = userIds.length > BATCH ? [undefined] : chunks(userIds);
    for (const batch of groups) {
      const query = batch ? { tenantId, userId: { $in: batch } } : { tenantId };
      const rows = (await memberships.find(query, { projection: { teamId: 1, userId: 1 } }).toArray()).filter(
        (r) => !excluded.has(r.teamId) && wanted.has(r.userId),
      );
      if (rows.length === 0) continue;
      const live = new Set<string>();
      for (const teamId of new Set(rows.map((r) => r.teamId))) {
        const team = await teams.findOne({ _id: teamId }, { projection: { deletedAt: 1 } });
        if (team && !team.deletedAt) live.add(teamId);
      }
      for (const row of rows) if (live.has(row.teamId)) result.add(row.userId);
    }
    return result;
  };

  const reconcile = async (
    tenantId: string,
    userIds: readonly string[],
    displays?: ReadonlyMap<string, string>,
  ) => {
    if (userIds.length === 0) return;
    const defaultId = defaultTeamId(tenantId);
    const inOther = await withOtherTeam(tenantId, userIds);
    await deleteMembers(
      defaultId,
      userIds.filter((id) => inOther.has(id)),
    );
    const join = userIds.filter((id) => !inOther.has(id));
    await insertMissing(
      tenantId,
      defaultId,
      join.map((userId) => ({ userId, display: displays?.get(userId) ?? userId })),
    );
  };

  return {
    async add(team, members) {
      if (!team.isDefault) await markJoined(members.map((m) => m.userId));
      await insertMissing(team.tenantId, team._id, members);
      if (!team.isDefault)
        await deleteMembers(
          defaultTeamId(team.tenantId),
          members.map((m) => m.userId),
        );
    },
    async placeNewUser(tenantId, userId, display) {
      // No marker: the user never joined a team, so the default team is right without a query.
      if (!(await joinedMarkers.findOne({ _id: userId }, { projection: { _id: 1 } }))) {
        await insertMissing(tenantId, defaultTeamId(tenantId), [{ userId, display }]);
        return;
      }
      await reconcile(tenantId, [userId], new Map([[userId, display]]));
    },
    async remove(team, userIds) {
      if (userIds.length === 0) return;
      const displays = new Map<string, string>();
      for (const userId of userIds) {
        const m = await memberships.findOne(
          { _id: membershipId(team._id, userId) },
          { projection: { display: 1 } },
        );
        if (m) displays.set(userId, m.display);
      }
      await deleteMembers(team._id, userIds);
      await reconcile(team.tenantId, userIds, displays);
    },
    withOtherTeam,
    reconcile,
    insertMissing,
  };
}
