import type { Collection, Db } from "mongodb";
import { deleteByIds, findByIds, isDuplicateKey } from "../../../platform/mod.ts";
import { liveTeams, membershipsOf } from "./membership_queries.ts";
import {
  defaultTeamId,
  MEMBERSHIPS,
  membershipId,
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
  /** Places users who were just created: the default team, unless they already joined a team. */
  placeNewUsers(tenantId: string, users: readonly MemberInput[]): Promise<void>;
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
    for (const batch of chunks(userIds)) {
      await deleteByIds(
        memberships,
        batch.map((userId) => membershipId(teamId, userId)),
      );
    }
  };

  const withOtherTeam = async (tenantId: string, userIds: readonly string[], exceptTeamId?: string) => {
    const excluded = new Set([defaultTeamId(tenantId), ...(exceptTeamId ? [exceptTeamId] : [])]);
    const others = (await liveTeams(db, tenantId)).filter((t) => !excluded.has(t._id));
    return new Set((await membershipsOf(db, tenantId, userIds, others)).map((r) => r.userId));
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
      // The markers only have to exist before the default memberships go (a placement racing with
      // this join then sees them), so they are written alongside the new memberships.
      await Promise.all([
        team.isDefault ? undefined : markJoined(members.map((m) => m.userId)),
        insertMissing(team.tenantId, team._id, members),
      ]);
      if (!team.isDefault)
        await deleteMembers(
          defaultTeamId(team.tenantId),
          members.map((m) => m.userId),
        );
    },
    async placeNewUsers(tenantId, users) {
      // No marker: the user never joined a team, so the default team is right without a query.
      const joined = new Set(
        (
          await findByIds(
            joinedMarkers,
            users.map((u) => u.userId),
            { concurrency: 32 },
          )
        ).map((m) => m._id),
      );
      await insertMissing(
        tenantId,
        defaultTeamId(tenantId),
        users.filter((u) => !joined.has(u.userId)),
      );
      const rest = users.filter((u) => joined.has(u.userId));
      await reconcile(
        tenantId,
        rest.map((u) => u.userId),
        new Map(rest.map((u) => [u.userId, u.display])),
      );
    },
    async remove(team, userIds) {
      if (userIds.length === 0) return;
      const found = await findByIds(
        memberships,
        userIds.map((userId) => membershipId(team._id, userId)),
        { projection: { userId: 1, display: 1 } },
      );
      const displays = new Map(found.map((m) => [m.userId, m.display]));
      await deleteMembers(team._id, userIds);
      await reconcile(team.tenantId, userIds, displays);
    },
    withOtherTeam,
    reconcile,
    insertMissing,
  };
}
