import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { errors } from "./errors.ts";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { EventMetaSchema, type EventMeta } from "../gen/moodpoll/events/v1/events_pb.ts";
import type { OutboxEvent } from "./outbox.ts";

/**
 * The envelope every event carries. The id is derived from the change that caused it (intent id +
 * event name), never random, so re-publishing after a crash hits JetStream's duplicate window.
 */
export function eventMeta(eventId: string, tenantId: string, requestId: string): EventMeta {
  return create(EventMetaSchema, { eventId, tenantId, requestId, occurredAt: timestampNow() });
}

/**
 * Decodes an inbound event's payload. An undecodable payload is an InvalidArgument, which the
 * consumer parks at once (no retry can fix it) with the reason naming the message type.
 */
export function decodeEvent<D extends DescMessage>(schema: D, event: { data: Uint8Array }): MessageShape<D> {
  try {
    return fromBinary(schema, event.data);
  } catch {
    throw errors.invalidArgument(`${schema.typeName} payload does not decode`);
  }
}

/** Builds an outbox event from a protobuf payload. */
export function outboxEvent<D extends DescMessage>(
  id: string,
  subject: string,
  schema: D,
  payload: MessageInitShape<D>,
): OutboxEvent {
  return { id, subject, type: schema.typeName, payload: toBinary(schema, create(schema, payload)) };
}

/** Subjects of the public event stream (see proto/moodpoll/events/v1/events.proto). */
export const Subject = {
  TenantCreated: "moodpoll.v1.tenant.created",
  UserCreated: "moodpoll.v1.user.created",
  UserUpdated: "moodpoll.v1.user.updated",
  UserDeactivated: "moodpoll.v1.user.deactivated",
  UserReactivated: "moodpoll.v1.user.reactivated",
  UserDeleted: "moodpoll.v1.user.deleted",
  TeamCreated: "moodpoll.v1.team.created",
  TeamRenamed: "moodpoll.v1.team.renamed",
  TeamMembersChanged: "moodpoll.v1.team.members_changed",
  TeamDeleted: "moodpoll.v1.team.deleted",
  TeamMemberOrphaned: "moodpoll.v1.team.member_orphaned",
  TeamRehomingCompleted: "moodpoll.v1.team.rehoming_completed",
} as const;
export type Subject = (typeof Subject)[keyof typeof Subject];
