import type { Collection } from "mongodb";
import { deleteByIds, isDuplicateKey } from "../../../platform/mod.ts";
import { liveTeams, membershipsOf, type TeamsStore } from "./membership_queries.ts";
import {
  MEMBERSHIPS,
  membershipId,
  type MemberInput,
  type MembershipRecord,
  type TeamRecord,
} from "./records.ts";

/**
 * Membership set operations on the teams a tenant creates, as idempotent batched writes.
 *
 * The default team's members are not stored: product rule 7 ("in the default team if and only if
 * in no other team") is a derivation (default_team.ts), true by construction. Joining a team,
 * leaving one, a team's deletion or a new user therefore never has a second write to make, and
 * nothing can leave the rule broken for a while.
 */
export interface Memberships {
  /** Adds members to a (non-default) team; members already there are a no-op. */
  add(team: Pick<TeamRecord, "_id" | "tenantId">, members: readonly MemberInput[]): Promise<void>;
  /** Removes members from a (non-default) team; non-members are a no-op. */
  remove(team: Pick<TeamRecord, "_id">, userIds: readonly string[]): Promise<void>;
  /** Of these users, those who belong to a live non-default team other than `exceptTeamId`. */
  withOtherTeam(tenantId: string, userIds: readonly string[], exceptTeamId?: string): Promise<Set<string>>;
}

const BATCH = 1000;

function chunks<T>(items: readonly T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * FerretDB's SQLite backend runs only `_id` equality without scanning a whole collection, so every
 * write on a known (team, user) pair goes through the derived membership _id.
 */
export function createMemberships(store: TeamsStore): Memberships {
  const memberships: Collection<MembershipRecord> = store.db.collection(MEMBERSHIPS);

  return {
    async add(team, members) {
      for (const batch of chunks(members)) {
        const now = new Date();
        try {
          await memberships.insertMany(
            batch.map((m) => ({
              _id: membershipId(team._id, m.userId),
              tenantId: team.tenantId,
              teamId: team._id,
              userId: m.userId,
              display: m.display,
              created: now,
            })),
            { ordered: false },
          );
        } catch (error) {
          // Some were members already (or a concurrent writer got there first): the set is right.
          if (!isDuplicateKey(error)) throw error;
        }
      }
    },
    async remove(team, userIds) {
      for (const batch of chunks(userIds)) {
        await deleteByIds(
          memberships,
          batch.map((userId) => membershipId(team._id, userId)),
          { pointReadsOnly: store.pointReadsOnly },
        );
      }
    },
    async withOtherTeam(tenantId, userIds, exceptTeamId) {
      const others = (await liveTeams(store, tenantId)).filter((t) => !t.isDefault && t._id !== exceptTeamId);
      return new Set((await membershipsOf(store, tenantId, userIds, others)).map((r) => r.userId));
    },
  };
}
