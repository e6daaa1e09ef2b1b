import { randomUUID } from "node:crypto";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { Collection, Db, Document } from "mongodb";
import { UserChangedSchema, UserDeletedSchema } from "../../../gen/moodpoll/events/v1/events_pb.ts";
import { UserSchema, type User } from "../../../gen/moodpoll/identity/v1/identity_pb.ts";
import { Operator, type Filter, type Page } from "../../../gen/moodpoll/query/v1/query_pb.ts";
import { createUserKeys, externalIdKeyOf, userNameKey } from "./keys.ts";
import {
  AppError,
  createInsertBatcher,
  errors,
  eventMeta,
  filterToMongo,
  findByIds,
  isDuplicateKey,
  outboxEvent,
  remainingMs,
  unsupportedQuery,
  Subject,
  type Applier,
  type Outbox,
  type OutboxEvent,
  type RequestContext,
} from "../../../platform/mod.ts";
import { HANDLED_EVENTS_KEPT, USERS, fromRecord, toRecord, type UserRecord } from "./record.ts";
import { enforceImmutables, validateUser } from "./rules.ts";
import { changedFields } from "./changes.ts";
import type { Directory } from "./directory/mod.ts";
import { userElementFields, userFields } from "./fields.ts";

export interface UserService {
  create(ctx: RequestContext, input: MessageInitShape<typeof UserSchema>): Promise<User>;
  get(ctx: RequestContext, id: string): Promise<User>;
  list(
    ctx: RequestContext,
    query: { filter?: Filter; page?: Page },
  ): Promise<{ users: User[]; total: number }>;
  /** Replaces writable attributes; expectedVersion 0 means "whatever is stored now". */
  replace(
    ctx: RequestContext,
    input: MessageInitShape<typeof UserSchema>,
    expectedVersion: number,
  ): Promise<User>;
  delete(ctx: RequestContext, id: string, expectedVersion: number): Promise<void>;
  /** Resolves ids to summaries; unknown or foreign ids come back in `missing`. */
  lookup(
    ctx: RequestContext,
    ids: readonly string[],
  ): Promise<{ users: { id: string; display: string; active: boolean }[]; missing: string[] }>;
  /**
   * Product rule 8: an orphaned member is disabled and loses their working days, once per
   * `eventId` (a duplicate arriving after the user was reactivated must not disable them again).
   * Undefined for an unknown user; `duplicate` when the event was handled before.
   */
  disable(
    ctx: RequestContext,
    id: string,
    options: { clearWorkingDays: boolean; eventId: string },
  ): Promise<{ user: User; duplicate: boolean } | undefined>;
}

const SORT_FIELDS: Record<string, string> = {
  id: "_id",
  userName: "userNameLower",
  displayName: "displayName",
  externalId: "externalId",
  title: "title",
  "name.familyName": "name.familyName",
  "name.givenName": "name.givenName",
  "meta.created": "created",
  "meta.lastModified": "lastModified",
};

/** Which unique index refused a write, as a message the IdP admin can act on. */
function uniquenessError(
  error: unknown,
  user: { userName: string; externalId?: string | undefined },
): AppError {
  const text = error instanceof Error ? error.message : "";
  if (/externalId/i.test(text))
    return errors.uniqueness(`A user with externalId "${user.externalId}" already exists`);
  return errors.uniqueness(`A user with userName "${user.userName}" already exists`);
}

/** Applies a user intent: insert (v1), replace (later versions) or delete (state null). Idempotent. */
export function userApplier(db: Db): Applier {
  const users: Collection<UserRecord> = db.collection(USERS);
  const inserts = createInsertBatcher(users);
  return async (intent) => {
    const state = intent.state as UserRecord | null;
    if (intent.version === 1 && state !== null) {
      try {
        await inserts.insert(state);
        return "applied";
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        if (await users.findOne({ _id: state._id }, { projection: { _id: 1 } })) return "superseded";
        throw uniquenessError(error, state);
      }
    }
    // Writers of one user are serialised by their version claims (the outbox), so the write is by
    // _id alone (the one filter FerretDB pushes down); a newer stored version is never undone.
    const current = await users.findOne({ _id: intent.aggregateId }, { projection: { version: 1 } });
    if (!current) {
      if (state === null) return "superseded"; // deleted already
      throw errors.preconditionFailed("The user was deleted concurrently");
    }
    if (current.version >= intent.version) return "superseded";
    if (state === null) await users.deleteOne({ _id: intent.aggregateId });
    else await users.replaceOne({ _id: state._id }, state);
    return "applied";
  };
}

function userEvents(
  intentId: string,
  ctx: RequestContext,
  before: User | undefined,
  after: User | undefined,
  fields: string[] = before && after ? changedFields(before, after) : [],
): OutboxEvent[] {
  const meta = (name: string) => eventMeta(`${intentId}:${name}`, ctx.tenantId, ctx.requestId);
  const changed = (name: string, subject: string, user: User) =>
    outboxEvent(`${intentId}:${name}`, subject, UserChangedSchema, { meta: meta(name), user });
  if (!after) {
    return [
      outboxEvent(`${intentId}:deleted`, Subject.UserDeleted, UserDeletedSchema, {
        meta: meta("deleted"),
        userId: before!.id,
        user: { ...before!, version: before!.version + 1n },
      }),
    ];
  }
  if (!before) return [changed("created", Subject.UserCreated, after)];
  // A write that changes nothing the user shows (a resent PUT, an event remembered as handled)
  // announces nothing either.
  if (fields.length === 0) return [];
  const events = [
    outboxEvent(`${intentId}:updated`, Subject.UserUpdated, UserChangedSchema, {
      meta: meta("updated"),
      user: after,
      changedFields: fields,
    }),
  ];
  if (before.active && !after.active) events.push(changed("deactivated", Subject.UserDeactivated, after));
  if (!before.active && after.active) events.push(changed("reactivated", Subject.UserReactivated, after));
  return events;
}

export function createUserService(deps: {
  db: Db;
  outbox: Outbox;
  directory?: Directory;
  /** MongoHandle.pointReadsOnly: how a set of users is read by id. */
  pointReadsOnly?: boolean;
}): UserService {
  const users: Collection<UserRecord> = deps.db.collection(USERS);
  const apply = userApplier(deps.db);
  const keys = createUserKeys(deps.db);

  /**
   * `userName eq "x"` and `externalId eq "x"` (what Okta and Entra send to find a user) are
   * answered through the key documents: two _id reads instead of a collection scan.
   */
  const lookupByKey = async (
    ctx: RequestContext,
    filter: Filter | undefined,
  ): Promise<UserRecord[] | undefined> => {
    const c = filter?.kind.case === "comparison" ? filter.kind.value : undefined;
    if (!c || c.operator !== Operator.EQ || c.value?.kind.case !== "string") return undefined;
    const value = c.value.kind.value;
    let key: string;
    if (c.attribute === "userName" && !c.caseExact) key = userNameKey(ctx.tenantId, value);
    else if (c.attribute === "externalId") key = externalIdKeyOf(ctx.tenantId, value);
    else return undefined;
    const userId = await keys.resolve(key);
    const record = userId ? await users.findOne({ _id: userId }) : null;
    return record && record.tenantId === ctx.tenantId ? [record] : [];
  };

  const load = async (ctx: RequestContext, id: string) => {
    // By _id alone (the one filter FerretDB pushes down), then the tenant is checked here.
    const found = await users.findOne({ _id: id }, { maxTimeMS: remainingMs(ctx) });
    const record = found?.tenantId === ctx.tenantId ? found : null;
    if (!record) throw errors.notFound(`User ${id} not found`);
    return record;
  };

  /** Records and applies a change; `fields` are the changed fields when the caller has them. */
  const write = async (
    ctx: RequestContext,
    before: UserRecord | undefined,
    after: UserRecord | null,
    id: string,
    fields?: string[],
  ) => {
    const version = (before?.version ?? 0) + 1;
    const intentId = `user:${id}:${version}`;
    await deps.outbox.commit(
      {
        kind: "user",
        aggregateId: id,
        tenantId: ctx.tenantId,
        version,
        state: after,
        events: userEvents(
          intentId,
          ctx,
          before && fromRecord(before),
          after ? fromRecord(after) : undefined,
          fields,
        ),
      },
      apply,
    );
  };

  const replace = async (
    ctx: RequestContext,
    input: MessageInitShape<typeof UserSchema>,
    expectedVersion: number,
  ) => {
    const id = input.id ?? "";
    const stored = await load(ctx, id);
    if (expectedVersion !== 0 && expectedVersion !== stored.version) {
      throw errors.preconditionFailed(
        `User ${id} has changed (version ${stored.version}, expected ${expectedVersion})`,
      );
    }
    return replaceStored(ctx, stored, input);
  };

  /** Writes `input` over the user as loaded (`stored`); the outbox refuses it if `stored` is stale. */
  const replaceStored = async (
    ctx: RequestContext,
    stored: UserRecord,
    input: MessageInitShape<typeof UserSchema>,
    handledEvent?: string,
  ) => {
    const id = stored._id;
    const current = fromRecord(stored);
    const incoming = enforceImmutables(current, create(UserSchema, input));
    validateUser(incoming);
    // Okta resends a whole profile on every push: one that changes nothing writes nothing (and
    // keeps its version, so an ETag stays valid) unless an event has to be remembered as handled.
    const fields = changedFields(current, incoming);
    if (handledEvent === undefined && fields.length === 0) return current;
    const externalChanged = incoming.externalId !== stored.externalId;
    if (externalChanged && incoming.externalId !== undefined) {
      // Claimed up front: on FerretDB a unique-index refusal during an update may not say 11000.
      await keys.claim(ctx.tenantId, id, [
        {
          key: externalIdKeyOf(ctx.tenantId, incoming.externalId),
          what: `externalId "${incoming.externalId}"`,
        },
      ]);
    }
    const next = toRecord(incoming, {
      id,
      tenantId: ctx.tenantId,
      created: stored.created,
      lastModified: new Date(),
      version: stored.version + 1,
    });
    const handled = [...(stored.handledEvents ?? []), ...(handledEvent ? [handledEvent] : [])];
    if (handled.length > 0) next.handledEvents = handled.slice(-HANDLED_EVENTS_KEPT);
    try {
      await write(ctx, stored, next, id, fields);
    } catch (error) {
      if (externalChanged && incoming.externalId !== undefined) {
        await keys.release(id, [externalIdKeyOf(ctx.tenantId, incoming.externalId)]);
      }
      throw error;
    }
    if (externalChanged && stored.externalId !== undefined) {
      await keys.release(id, [externalIdKeyOf(ctx.tenantId, stored.externalId)]);
    }
    return fromRecord(next);
  };

  return {
    async create(ctx, input) {
      const user = create(UserSchema, input);
      validateUser(user);
      const id = randomUUID();
      const now = new Date();
      const record = toRecord(user, {
        id,
        tenantId: ctx.tenantId,
        created: now,
        lastModified: now,
        version: 1,
      });
      const claims = [{ key: userNameKey(ctx.tenantId, user.userName), what: `userName "${user.userName}"` }];
      if (user.externalId !== undefined) {
        claims.push({
          key: externalIdKeyOf(ctx.tenantId, user.externalId),
          what: `externalId "${user.externalId}"`,
        });
      }
      await keys.claim(ctx.tenantId, id, claims);
      try {
        await write(ctx, undefined, record, id);
      } catch (error) {
        await keys.release(
          id,
          claims.map((c) => c.key),
        );
        throw error;
      }
      return fromRecord(record);
    },
    async get(ctx, id) {
      return fromRecord(await load(ctx, id));
    },
    async list(ctx, query) {
      const fast = await lookupByKey(ctx, query.filter);
      if (fast) {
        const offset = query.page?.offset ?? 0;
        const limit = query.page?.limit ?? 100;
        return { users: fast.slice(offset, offset + limit).map(fromRecord), total: fast.length };
      }
      // The plain list in its default order (what Okta pages through on import) comes from the
      // directory: a few page reads instead of a query over every user of the tenant.
      if (!query.filter?.kind.case && !query.page?.sortBy && !query.page?.descending && deps.directory) {
        const listed = await deps.directory.read(
          ctx.tenantId,
          query.page?.offset ?? 0,
          query.page?.limit ?? 100,
        );
        if (listed) return listed;
      }
      const filter: Document = { tenantId: ctx.tenantId };
      if (query.filter?.kind.case)
        filter["$and"] = [filterToMongo(query.filter, userFields, userElementFields)];
      const page = query.page;
      const sortField = page?.sortBy ? SORT_FIELDS[page.sortBy] : "created";
      if (!sortField) throw errors.invalidValue(`Cannot sort by "${page?.sortBy}"`);
      const direction = page?.descending ? -1 : 1;
      const options = { maxTimeMS: remainingMs(ctx) };
      const [total, records] = await Promise.all([
        users.countDocuments(filter, options),
        page && page.limit === 0
          ? Promise.resolve([])
          : users
              .find(filter, options)
              // _id as the tie-breaker keeps the order stable across pages.
              .sort({ [sortField]: direction, _id: 1 })
              .skip(page?.offset ?? 0)
              .limit(page?.limit ?? 100)
              .toArray(),
      ]).catch(unsupportedQuery);
      return { users: records.map(fromRecord), total };
    },
    replace,
    async lookup(ctx, ids) {
      const unique = [...new Set(ids)];
      // By _id (see platform/by_id.ts), then the tenant is checked here.
      const found = (
        await findByIds(users, unique, {
          projection: { tenantId: 1, userName: 1, displayName: 1, active: 1 },
          concurrency: 32,
          pointReadsOnly: deps.pointReadsOnly ?? true,
        })
      ).filter((u) => u.tenantId === ctx.tenantId);
      const byId = new Map(found.map((u) => [u._id, u]));
      return {
        users: found.map((u) => ({ id: u._id, display: u.displayName ?? u.userName, active: u.active })),
        missing: unique.filter((id) => !byId.has(id)),
      };
    },
    async delete(ctx, id, expectedVersion) {
      const stored = await load(ctx, id);
      if (expectedVersion !== 0 && expectedVersion !== stored.version) {
        throw errors.preconditionFailed(
          `User ${id} has changed (version ${stored.version}, expected ${expectedVersion})`,
        );
      }
      await write(ctx, stored, null, id);
      await keys.release(id, [
        userNameKey(ctx.tenantId, stored.userName),
        ...(stored.externalId !== undefined ? [externalIdKeyOf(ctx.tenantId, stored.externalId)] : []),
      ]);
    },
    async disable(ctx, id, options) {
      for (let attempt = 0; ; attempt += 1) {
        let stored: UserRecord;
        try {
          stored = await load(ctx, id);
        } catch (error) {
          if (error instanceof AppError && error.code === "not_found") return undefined;
          throw error;
        }
        if (stored.handledEvents?.includes(options.eventId))
          return { user: fromRecord(stored), duplicate: true };
        const user = fromRecord(stored);
        user.active = false;
        if (options.clearWorkingDays) user.workingDays = [];
        try {
          // Written even when nothing changes, so that the event is remembered as handled.
          return { user: await replaceStored(ctx, stored, user, options.eventId), duplicate: false };
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== "precondition_failed" || attempt >= 5)
            throw error;
        }
      }
    },
  };
}
