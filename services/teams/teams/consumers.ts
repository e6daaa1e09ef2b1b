import type { Collection, Db } from "mongodb";
import {
  TeamDeletedSchema,
  TenantCreatedSchema,
  UserChangedSchema,
  UserDeletedSchema,
} from "../../../gen/moodpoll/events/v1/events_pb.ts";
import {
  decodeEvent,
  errors,
  isDuplicateKey,
  Subject,
  type ConsumerSpec,
  type InboundEvent,
  type Logger,
  type RequestContext,
} from "../../../platform/mod.ts";
import { KNOWN_USERS, MEMBERSHIPS, type KnownUser, type MembershipRecord } from "./records.ts";
import type { Rehoming } from "./rehoming.ts";
import type { TeamService } from "./service.ts";

const contextOf = (tenantId: string, requestId: string): RequestContext => ({
  requestId,
  tenantId,
  signal: AbortSignal.timeout(60_000),
  deadline: Date.now() + 60_000,
});

/**
 * Tenant and user events, handled in stream order by one durable consumer (so a tenant's default
 * team exists before its first user joins it). Every handler is idempotent.
 */
export function identityEventsConsumer(deps: { db: Db; teams: TeamService; logger: Logger }): ConsumerSpec {
  const known: Collection<KnownUser> = deps.db.collection(KNOWN_USERS);
  const memberships: Collection<MembershipRecord> = deps.db.collection(MEMBERSHIPS);
  const userChanged = (event: InboundEvent) => {
    const e = decodeEvent(UserChangedSchema, event);
    const user = e.user;
    if (!user?.id || !user.tenantId) throw errors.invalidArgument("UserChanged without a user");
    return {
      user,
      display: user.displayName ?? user.userName,
      requestId: e.meta?.requestId ?? "",
      changedFields: e.changedFields,
    };
  };

  /**
   * Product rule 2 for a run of user.created events: a new user is known, in no team yet, and so in
   * the default team (default_team.ts) — which is created here if the tenant's event is still behind.
   */
  const placeNewUsers = async (created: ReturnType<typeof userChanged>[]) => {
    for (const [tenantId, users] of Map.groupBy(created, (c) => c.user.tenantId)) {
      await deps.teams.ensureDefaultTeam(contextOf(tenantId, users[0]!.requestId), "");
      await rememberUsers(users.map((u) => ({ _id: u.user.id, tenantId, display: u.display })));
    }
  };

  /**
   * Records users as known. One already known was recorded by an earlier delivery of the same event
   * (or updated since, which a late copy of user.created must not undo), so duplicates are skipped.
   */
  const rememberUsers = async (docs: KnownUser[]) => {
    try {
      await known.insertMany(docs, { ordered: false });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  };

  const handle = async (event: InboundEvent) => {
    switch (event.subject) {
      case Subject.TenantCreated: {
        const e = decodeEvent(TenantCreatedSchema, event);
        const tenantId = e.tenant?.id ?? "";
        await deps.teams.ensureDefaultTeam(
          contextOf(tenantId, e.meta?.requestId ?? ""),
          e.tenant?.settings?.defaultTeamName ?? "",
        );
        return;
      }
      case Subject.UserCreated:
        await placeNewUsers([userChanged(event)]);
        return;
      case Subject.UserUpdated: {
        const { user, display, changedFields } = userChanged(event);
        // Teams shows only a member's display (displayName, else userName). An empty list comes
        // from a publisher that does not say what changed: then the stored display is compared.
        const shown = ["displayName", "userName"];
        if (changedFields.length > 0 && !changedFields.some((f) => shown.includes(f))) return;
        const before = await known.findOne({ _id: user.id });
        if (before?.display === display) return; // nothing teams shows changed
        await known.updateOne(
          { _id: user.id },
          { $set: { tenantId: user.tenantId, display } },
          { upsert: true },
        );
        await memberships.updateMany(
          { tenantId: user.tenantId, userId: user.id, display: { $ne: display } },
          { $set: { display } },
        );
        return;
      }
      case Subject.UserDeleted: {
        const e = decodeEvent(UserDeletedSchema, event);
        const tenantId = e.meta?.tenantId ?? "";
        await memberships.deleteMany({ tenantId, userId: e.userId });
        await known.deleteOne({ _id: e.userId });
        return;
      }
      default:
        deps.logger.warn({ subject: event.subject }, "ignored an event of an unexpected subject");
    }
  };

  return {
    durable: "teams-identity-events",
    filterSubjects: [Subject.TenantCreated, Subject.UserCreated, Subject.UserUpdated, Subject.UserDeleted],
    handle,
    // In stream order; a run of user.created events (a provisioning burst) is placed together.
    async handleBatch(events) {
      let created: ReturnType<typeof userChanged>[] = [];
      for (const event of events) {
        if (event.subject === Subject.UserCreated) {
          created.push(userChanged(event));
          continue;
        }
        await placeNewUsers(created);
        created = [];
        await handle(event);
      }
      await placeNewUsers(created);
    },
  };
}

/** team.deleted → re-home the team's members. */
export function teamDeletedConsumer(rehoming: Rehoming): ConsumerSpec {
  return {
    durable: "teams-team-deleted",
    filterSubjects: [Subject.TeamDeleted],
    concurrency: 4,
    async handle(event) {
      const e = decodeEvent(TeamDeletedSchema, event);
      await rehoming.rehome(e.teamId, e.meta?.requestId ?? `rehome:${e.teamId}`);
    },
  };
}

/**
 * The level-triggered safety net: every `intervalMs` it finishes re-homings that were interrupted
 * (from the teams' stored state) and purges the memberships of teams re-homed a while ago. (The
 * default-team invariant needs no repair: it is derived, see default_team.ts.)
 */
export function createReconciler(deps: { rehoming: Rehoming; logger: Logger; intervalMs?: number }) {
  const intervalMs = deps.intervalMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const pass = async () => {
    await deps.rehoming.resumeAll(30_000);
    await deps.rehoming.purgeAll(60_000);
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass()
        .catch((error: unknown) => deps.logger.warn({ err: error }, "reconciler pass failed"))
        .finally(schedule);
    }, intervalMs);
  };

  return {
    start: schedule,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
    pass,
  };
}

/**
 * tenant.created on a consumer of its own, so a new tenant's default team is not queued behind
 * another tenant's burst of user events (the ordered consumer above handles it too: idempotent).
 */
export function tenantCreatedConsumer(teams: TeamService): ConsumerSpec {
  return {
    durable: "teams-tenant-created",
    filterSubjects: [Subject.TenantCreated],
    async handle(event) {
      const e = decodeEvent(TenantCreatedSchema, event);
      const tenantId = e.tenant?.id ?? "";
      if (!tenantId) throw errors.invalidArgument("TenantCreated without a tenant id");
      await teams.ensureDefaultTeam(
        contextOf(tenantId, e.meta?.requestId ?? ""),
        e.tenant?.settings?.defaultTeamName ?? "",
      );
    },
  };
}
