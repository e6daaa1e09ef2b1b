import { MemberOrphanedSchema } from "../../../gen/moodpoll/events/v1/events_pb.ts";
import { decodeEvent, errors, Subject, type ConsumerSpec, type Logger } from "../../../platform/mod.ts";
import type { UserService } from "./service.ts";

/**
 * Product rule 8, identity's half: a member orphaned by a team deletion is disabled and loses their
 * working days, once per event (the user record remembers the events it has handled).
 */
export function orphanedMemberConsumer(users: UserService, logger: Logger): ConsumerSpec {
  return {
    durable: "identity-member-orphaned",
    filterSubjects: [Subject.TeamMemberOrphaned],
    // Orphan events are about different users and commute; many at once let their writes share
    // commands (group commit) when a large team is deleted.
    concurrency: 32,
    async handle(event) {
      const payload = decodeEvent(MemberOrphanedSchema, event);
      const tenantId = payload.meta?.tenantId ?? "";
      if (!tenantId || !payload.userId)
        throw errors.invalidArgument("MemberOrphaned without tenant or user id");
      const ctx = {
        requestId: payload.meta?.requestId || `orphan:${payload.teamId}:${payload.userId}`,
        tenantId,
        signal: AbortSignal.timeout(30_000),
        deadline: Date.now() + 30_000,
      };
      const eventId = payload.meta?.eventId || `orphan:${payload.teamId}:${payload.userId}`;
      const result = await users.disable(ctx, payload.userId, { clearWorkingDays: true, eventId });
      logger.info(
        { userId: payload.userId, teamId: payload.teamId, eventId, found: result !== undefined },
        result?.duplicate ? "duplicate orphan event ignored" : "orphaned member disabled",
      );
    },
  };
}
