import {
  TeamChangedSchema,
  TeamDeletedSchema,
  TeamMembersChangedSchema,
} from "../../../gen/moodpoll/events/v1/events_pb.ts";
import {
  eventMeta,
  outboxEvent,
  Subject,
  type OutboxEvent,
  type RequestContext,
} from "../../../platform/mod.ts";
import type { TeamRecord } from "./records.ts";

/** The events of one team change; ids derive from the intent so re-publication deduplicates. */
export function teamEvents(
  intentId: string,
  ctx: RequestContext,
  before: TeamRecord | undefined,
  after: TeamRecord,
  members: { added: readonly string[]; removed: readonly string[] },
): OutboxEvent[] {
  const meta = (name: string) => eventMeta(`${intentId}:${name}`, after.tenantId, ctx.requestId);
  const team = { teamId: after._id, displayName: after.displayName, isDefault: after.isDefault };
  const events: OutboxEvent[] = [];
  if (!before)
    events.push(
      outboxEvent(`${intentId}:created`, Subject.TeamCreated, TeamChangedSchema, {
        meta: meta("created"),
        ...team,
      }),
    );
  else if (after.deletedAt) {
    events.push(
      outboxEvent(`${intentId}:deleted`, Subject.TeamDeleted, TeamDeletedSchema, {
        meta: meta("deleted"),
        teamId: after._id,
      }),
    );
  } else if (before.displayName !== after.displayName) {
    events.push(
      outboxEvent(`${intentId}:renamed`, Subject.TeamRenamed, TeamChangedSchema, {
        meta: meta("renamed"),
        ...team,
      }),
    );
  }
  if (members.added.length > 0 || members.removed.length > 0) {
    events.push(
      outboxEvent(`${intentId}:members`, Subject.TeamMembersChanged, TeamMembersChangedSchema, {
        meta: meta("members"),
        teamId: after._id,
        addedUserIds: [...members.added],
        removedUserIds: [...members.removed],
      }),
    );
  }
  return events;
}
