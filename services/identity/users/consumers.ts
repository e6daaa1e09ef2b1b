import { fromBinary } from "@bufbuild/protobuf";
import { MemberOrphanedSchema } from "../../../gen/moodpoll/events/v1/events_pb.ts";
import type { Db } from "mongodb";
import { createOnceHandler, errors, Subject, type ConsumerSpec, type Logger } from "../../../platform/mod.ts";
import type { UserService } from "./service.ts";

/**
 * Product rule 8, identity's half: a member orphaned by a team deletion is disabled and loses their
 * working days. Idempotent: disabling a disabled user with no working days changes nothing.
 */
export function orphanedMemberConsumer(db: Db, users: UserService, logger: Logger): ConsumerSpec {
  const durable = "identity-member-orphaned";
  const once = createOnceHandler(db, durable);
  return {
    durable,
    filterSubjects: [Subject.TeamMemberOrphaned],
    // Orphan events are about different users and commute; many at once let their writes share
    // commands (group commit) when a large team is deleted.
    concurrency: 32,
    async handle(event) {
      let payload;
      try {
        payload = fromBinary(MemberOrphanedSchema, event.data);
      } catch {
        throw errors.invalidArgument("MemberOrphaned payload does not decode");
      }
      const tenantId = payload.meta?.tenantId ?? "";
      if (!tenantId || !payload.userId)
        throw errors.invalidArgument("MemberOrphaned without tenant or user id");
      const ctx = {
        requestId: payload.meta?.requestId || `orphan:${payload.teamId}:${payload.userId}`,
        tenantId,
        signal: AbortSignal.timeout(30_000),
        deadline: Date.now() + 30_000,
      };
      // Once per event id: a duplicate arriving after the user was reactivated must not disable them again.
      const eventId = payload.meta?.eventId || `orphan:${payload.teamId}:${payload.userId}`;
      const ran = await once.run(eventId, async () => {
        const user = await users.disable(ctx, payload.userId, { clearWorkingDays: true });
        logger.info(
          { userId: payload.userId, teamId: payload.teamId, found: user !== undefined },
          "orphaned member disabled",
        );
      });
      if (!ran)
        logger.info(
          { userId: payload.userId, teamId: payload.teamId, eventId },
          "duplicate orphan event ignored",
        );
    },
  };
}
