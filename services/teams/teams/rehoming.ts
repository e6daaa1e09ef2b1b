import { createHash } from "node:crypto";
import type { Collection, Db } from "mongodb";
import { MemberOrphanedSchema, RehomingCompletedSchema } from "../../../gen/moodpoll/events/v1/events_pb.ts";
import {
  AppError,
  eventMeta,
  eventsOnly,
  outboxEvent,
  Subject,
  type Logger,
  type Outbox,
} from "../../../platform/mod.ts";
import type { Memberships } from "./membership.ts";
import { defaultTeamId, MEMBERSHIPS, TEAMS, type MembershipRecord, type TeamRecord } from "./records.ts";

const BATCH = 500;

export interface Rehoming {
  /**
   * Re-homes the members of a deleted team (product rule 8). Safe to run twice or concurrently, and
   * resumable after a crash: a second run records every batch's orphan events again under the
   * same ids (deduplicated) until the team is marked re-homed.
   *
   * The deleted team's own memberships stay in storage until {@link purgeAll}: no read sees them
   * (every read of a user's teams goes through the live teams), and deleting them one by one would
   * double the database work of the re-homing itself.
   */
  rehome(teamId: string, requestId: string): Promise<{ orphaned: number; kept: number } | undefined>;
  /** Finishes every deletion whose re-homing has not completed (the level-triggered safety net). */
  resumeAll(olderThanMs: number): Promise<number>;
  /** Removes the memberships of teams re-homed more than `olderThanMs` ago; returns how many teams. */
  purgeAll(olderThanMs: number): Promise<number>;
}

export function createRehoming(deps: {
  db: Db;
  outbox: Outbox;
  memberships: Memberships;
  logger: Logger;
}): Rehoming {
  const teams: Collection<TeamRecord> = deps.db.collection(TEAMS);
  const memberships: Collection<MembershipRecord> = deps.db.collection(MEMBERSHIPS);
  const log = deps.logger.child({ component: "rehoming" });

  /**
   * Records events. A re-run (after a crash) records them again under the same event ids: refused
   * while the first copy is in flight, otherwise deduplicated by JetStream and by idempotent consumers.
   */
  const commitOnce = async (input: Parameters<Outbox["commit"]>[0]) => {
    try {
      await deps.outbox.commit(input, eventsOnly);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== "precondition_failed") throw error;
    }
  };

  const rehome = async (teamId: string, requestId: string) => {
    const team = await teams.findOne({ _id: teamId });
    if (!team?.deletedAt || team.rehomedAt) return undefined;
    const { tenantId } = team;
    const defaultId = defaultTeamId(tenantId);
    let orphaned = 0;
    let kept = 0;
    const started = Date.now();
    // Two reads for the whole team (a scan each on FerretDB), then batches of per-_id writes.
    const members = await memberships.find({ teamId }, { projection: { userId: 1, display: 1 } }).toArray();
    const readMs = Date.now() - started;
    const others = await deps.memberships.withOtherTeam(
      tenantId,
      members.map((m) => m.userId),
      teamId,
    );
    const othersMs = Date.now() - started - readMs;
    for (let i = 0; i < members.length; i += BATCH) {
      const batch = members.slice(i, i + BATCH);
      const orphans = batch.filter((m) => !others.has(m.userId));
      kept += batch.length - orphans.length;
      orphaned += orphans.length;
      if (orphans.length > 0) {
        // Each orphan is in the default team now (it is derived: default_team.ts); identity
        // disables them and clears their working days on these events.
        const key = createHash("sha256")
          .update(orphans.map((m) => m.userId).join(","))
          .digest("hex")
          .slice(0, 24);
        await commitOnce({
          kind: "orphans",
          aggregateId: `${teamId}:${key}`,
          tenantId,
          version: 1,
          state: null,
          events: orphans.map((m) => {
            const id = `orphan:${teamId}:${m.userId}`;
            return outboxEvent(id, Subject.TeamMemberOrphaned, MemberOrphanedSchema, {
              meta: eventMeta(id, tenantId, requestId),
              teamId,
              userId: m.userId,
              defaultTeamId: defaultId,
            });
          }),
        });
      }
    }
    const id = `rehomed:${teamId}`;
    await commitOnce({
      kind: "rehomed",
      aggregateId: teamId,
      tenantId,
      version: 1,
      state: null,
      events: [
        outboxEvent(id, Subject.TeamRehomingCompleted, RehomingCompletedSchema, {
          meta: eventMeta(id, tenantId, requestId),
          teamId,
          orphanedCount: orphaned,
          keptCount: kept,
        }),
      ],
    });
    await teams.updateOne({ _id: teamId }, { $set: { rehomedAt: new Date() } });
    log.info(
      { teamId, tenantId, orphaned, kept, ms: Date.now() - started, readMs, othersMs },
      "deleted team's members re-homed",
    );
    return { orphaned, kept };
  };

  return {
    rehome,
    async resumeAll(olderThanMs) {
      const stale = await teams
        .find(
          { deletedAt: { $lt: new Date(Date.now() - olderThanMs) }, rehomedAt: { $exists: false } },
          { projection: { _id: 1 } },
        )
        .limit(100)
        .toArray();
      for (const team of stale) {
        log.warn({ teamId: team._id }, "resuming an unfinished re-homing");
        await rehome(team._id, `reconciler:${team._id}`);
      }
      return stale.length;
    },
    async purgeAll(olderThanMs) {
      const done = await teams
        .find(
          { rehomedAt: { $lt: new Date(Date.now() - olderThanMs) }, purgedAt: { $exists: false } },
          { projection: { _id: 1 } },
        )
        .limit(100)
        .toArray();
      for (const team of done) {
        // One command: on FerretDB a scan and one delete, far cheaper than a delete per member.
        const { deletedCount } = await memberships.deleteMany({ teamId: team._id });
        await teams.updateOne({ _id: team._id }, { $set: { purgedAt: new Date() } });
        log.info({ teamId: team._id, memberships: deletedCount }, "deleted team's memberships purged");
      }
      return done.length;
    },
  };
}
