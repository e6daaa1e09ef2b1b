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
  /** Inserts memberships that do not exist yet (duplicates are ignored). */
  insertMissing(tenantId: string, teamId: string, members: readonly MemberInput[]): Promise<void>;
}

const BATCH = 1000;

function chunks<T>(items: readonly T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function createMemberships(db: Db): Memberships {
  const memberships: Collection<MembershipRecord> = db.collection(MEMBERSHIPS);
  const teams: Collection<TeamRecord> = db.collection(TEAMS);

  const insertMissing = async (tenantId: string, teamId: string, members: readonly MemberInput[]) => {
    for (const batch of chunks(members)) {
      const existing = new Set(
        (
          await memberships
            .find({ teamId, userId: { $in: batch.map((m) => m.userId) } }, { projection: { userId: 1 } })
            .toArray()
        ).map((m) => m.userId),
      );
      const now = new Date();
      const docs = batch
        .filter((m) => !existing.has(m.userId))
        .map((m) => ({
          _id: membershipId(teamId, m.userId),
          tenantId,
          teamId,
          userId: m.userId,
          display: m.display,
          created: now,
        }));
      if (docs.length === 0) continue;
      try {
        await memberships.insertMany(docs, { ordered: false });
      } catch (error) {
        // A concurrent writer inserted some of them first: the set is what we wanted either way.
        if (!isDuplicateKey(error)) throw error;
      }
    }
  };

  const withOtherTeam = async (tenantId: string, userIds: readonly string[], exceptTeamId?: string) => {
    const result = new Set<string>();
    const excluded = [defaultTeamId(tenantId), ...(exceptTeamId ? [exceptTeamId] : [])];
    for (const batch of chunks(userIds)) {
      const rows = await memberships
        .find(
          { tenantId, userId: { $in: batch }, teamId: { $nin: excluded } },
          { projection: { teamId: 1, userId: 1 } },
        )
        .toArray();
      if (rows.length === 0) continue;
      const live = new Set(
        (
          await teams
            .find(
              { _id: { $in: [...new Set(rows.map((r) => r.teamId))] }, deletedAt: { $exists: false } },
              { projection: { _id: 1 } },
            )
            .toArray()
        ).map((t) => t._id),
      );
      for (const row of rows) if (live.has(row.teamId)) result.add(row.userId);
    }
    return result;
  };

  const displaysOf = async (tenantId: string, userIds: readonly string[]) => {
    const map = new Map<string, string>();
    for (const batch of chunks(userIds)) {
      for (const m of await memberships
        .find({ tenantId, userId: { $in: batch } }, { projection: { userId: 1, display: 1 } })
        .toArray()) {
        map.set(m.userId, m.display);
      }
    }
    return map;
  };

  const reconcile = async (
    tenantId: string,
    userIds: readonly string[],
    displays?: ReadonlyMap<string, string>,
  ) => {
    if (userIds.length === 0) return;
    const defaultId = defaultTeamId(tenantId);
    const inOther = await withOtherTeam(tenantId, userIds);
    const leave = userIds.filter((id) => inOther.has(id));
    const join = userIds.filter((id) => !inOther.has(id));
    for (const batch of chunks(leave))
      await memberships.deleteMany({ teamId: defaultId, userId: { $in: batch } });
    if (join.length > 0) {
      const known = await displaysOf(tenantId, join);
      await insertMissing(
        tenantId,
        defaultId,
        join.map((userId) => ({ userId, display: known.get(userId) ?? displays?.get(userId) ?? userId })),
      );
    }
  };

  return {
    async add(team, members) {
      await insertMissing(team.tenantId, team._id, members);
      if (!team.isDefault) {
        const defaultId = defaultTeamId(team.tenantId);
        for (const batch of chunks(members)) {
          await memberships.deleteMany({ teamId: defaultId, userId: { $in: batch.map((m) => m.userId) } });
        }
      }
    },
    async remove(team, userIds) {
      if (userIds.length === 0) return;
      const displays = await displaysOf(team.tenantId, userIds);
      for (const batch of chunks(userIds))
        await memberships.deleteMany({ teamId: team._id, userId: { $in: batch } });
      await reconcile(team.tenantId, userIds, displays);
    },
    withOtherTeam,
    reconcile,
    insertMissing,
  };
}
