import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  TenantCreatedSchema,
  UserChangedSchema,
  UserDeletedSchema,
} from "../../../../gen/moodpoll/events/v1/events_pb.ts";
import type { User } from "../../../../gen/moodpoll/identity/v1/identity_pb.ts";
import {
  decodeEvent,
  errors,
  Subject,
  type ConsumerSpec,
  type InboundEvent,
} from "../../../../platform/mod.ts";
import type { Directory, UserDirChange } from "./store.ts";

const keyOf = (user: User): [number, string] => [
  user.created ? Number(timestampMs(user.created)) : 0,
  user.id,
];

/** A tenant's directory change carried by an event, or an empty list for a new tenant. */
function changeOf(event: InboundEvent): { tenantId: string; change?: UserDirChange } {
  switch (event.subject) {
    case Subject.TenantCreated: {
      const e = decodeEvent(TenantCreatedSchema, event);
      if (!e.tenant?.id) throw errors.invalidArgument("TenantCreated without a tenant");
      return { tenantId: e.tenant.id };
    }
    case Subject.UserCreated:
    case Subject.UserUpdated: {
      const e = decodeEvent(UserChangedSchema, event);
      if (!e.user?.id || !e.user.tenantId) throw errors.invalidArgument("UserChanged without a user");
      const user = e.user;
      return {
        tenantId: user.tenantId,
        change: { kind: "upsert", key: keyOf(user), version: Number(user.version), user },
      };
    }
    case Subject.UserDeleted: {
      const e = decodeEvent(UserDeletedSchema, event);
      if (!e.user?.id || !e.user.tenantId) throw errors.invalidArgument("UserDeleted without the user");
      return {
        tenantId: e.user.tenantId,
        change: { kind: "delete", key: keyOf(e.user), version: Number(e.user.version) },
      };
    }
    default:
      throw errors.invalidArgument(`Unexpected subject ${event.subject}`);
  }
}

/**
 * Keeps the user directory (directory/store.ts) in step with identity's own user events. It is the
 * directory's only writer: one replica at a time is pinned to this consumer, and it handles the
 * events that queued up meanwhile as one batch, so a burst of creations costs one page write.
 */
export function directoryProjector(directory: Directory): ConsumerSpec {
  const project = async (events: readonly InboundEvent[]) => {
    // A tenant whose only event is tenant.created has no change: its directory starts empty.
    for (const [tenantId, found] of Map.groupBy(events.map(changeOf), (c) => c.tenantId)) {
      const changes = found.flatMap((c) => (c.change ? [c.change] : []));
      if (changes.length === 0) await directory.init(tenantId);
      else await directory.apply(tenantId, changes);
    }
  };
  return {
    durable: "identity-user-directory",
    filterSubjects: [Subject.TenantCreated, Subject.UserCreated, Subject.UserUpdated, Subject.UserDeleted],
    exclusive: true,
    maxBatch: 512,
    // Each batch rewrites the pages it touches: a burst of creations is better written together.
    lingerMs: 250,
    handle: (event) => project([event]),
    handleBatch: project,
  };
}
