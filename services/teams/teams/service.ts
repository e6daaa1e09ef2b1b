import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import type { Collection, Db, Document } from "mongodb";
import { FilterSchema, Operator, type Filter, type Page } from "../../../gen/moodpoll/query/v1/query_pb.ts";
import {
  AppError,
  errors,
  filterToMongo,
  isDuplicateKey,
  remainingMs,
  unsupportedQuery,
  type Applier,
  type Outbox,
  type RequestContext,
} from "../../../platform/mod.ts";
import { teamEvents } from "./events.ts";
import { TEAM_SORT_FIELDS, teamFields } from "./fields.ts";
import { createMemberships, type Memberships } from "./membership.ts";
import { defaultTeamMembersOf, teamIdsOfUser, type TeamsStore } from "./membership_queries.ts";
import {
  defaultTeamId,
  MEMBERSHIPS,
  TEAMS,
  type MemberInput,
  type MembershipRecord,
  type TeamRecord,
} from "./records.ts";

/** What a team intent records: the team after the change and the member set operations. */
export interface TeamChange {
  team: TeamRecord;
  add: MemberInput[];
  remove: string[];
}

export interface TeamUpdate {
  displayName?: string | undefined;
  externalId?: string | undefined;
  clearExternalId?: boolean;
  replaceMembers?: MemberInput[] | undefined;
  addMembers: MemberInput[];
  removeUserIds: string[];
  expectedVersion: number;
}

/** A member as a group shows it. */
export type MemberView = Pick<MembershipRecord, "userId" | "display">;

export interface TeamWithMembers {
  team: TeamRecord;
  members: MemberView[] | undefined;
}

export interface TeamService {
  create(
    ctx: RequestContext,
    input: { displayName: string; externalId?: string | undefined; members: MemberInput[] },
  ): Promise<TeamRecord>;
  get(ctx: RequestContext, id: string, includeMembers: boolean): Promise<TeamWithMembers>;
  list(
    ctx: RequestContext,
    query: { filter?: Filter | undefined; page?: Page | undefined; includeMembers: boolean },
  ): Promise<{ teams: TeamWithMembers[]; total: number }>;
  update(ctx: RequestContext, id: string, update: TeamUpdate): Promise<TeamRecord>;
  delete(ctx: RequestContext, id: string): Promise<void>;
  /** Creates the tenant's default team if it does not exist yet (idempotent). */
  ensureDefaultTeam(ctx: RequestContext, name: string): Promise<void>;
}

const DEFAULT_TEAM_NAME = "Default team";

/** Applies a team intent (idempotent): the team document, then the member set operations. */
export function teamApplier(db: Db, memberships: Memberships): Applier {
  const teams: Collection<TeamRecord> = db.collection(TEAMS);
  return async (intent, { rollForward }) => {
    const { team, add, remove } = intent.state as TeamChange;
    if (intent.version === 1) {
      try {
        await teams.insertOne(team);
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        if (!(await teams.findOne({ _id: team._id }, { projection: { _id: 1 } }))) {
          throw errors.uniqueness(`A group named "${team.displayName}" already exists`);
        }
        // Inserted before: a roll-forward, which finishes the member operations below.
      }
    } else {
      // Serialised by version claims (see userApplier); by _id alone for FerretDB's pushdown.
      const current = await teams.findOne({ _id: team._id }, { projection: { version: 1 } });
      if (!current) throw errors.preconditionFailed("The group was deleted concurrently");
      if (current.version > team.version) return "superseded";
      if (current.version < team.version) await teams.replaceOne({ _id: team._id }, team);
      // Written before: a crashed writer's, whose member operations a roll-forward finishes below;
      // for a writer applying its own intent, someone else's (the outbox refuses it).
      else if (!rollForward) return "superseded";
    }
    if (add.length > 0) await memberships.add(team, add);
    if (remove.length > 0) await memberships.remove(team, remove);
    return "applied";
  };
}

export function createTeamService(deps: {
  store: TeamsStore;
  outbox: Outbox;
  memberships?: Memberships;
}): TeamService {
  const db = deps.store.db;
  const teams: Collection<TeamRecord> = db.collection(TEAMS);
  const members: Collection<MembershipRecord> = db.collection(MEMBERSHIPS);
  const memberships = deps.memberships ?? createMemberships(deps.store);
  const apply = teamApplier(db, memberships);
  const defaultTeamsSeen = new Set<string>();

  const load = async (ctx: RequestContext, id: string) => {
    // By _id alone (FerretDB pushes down nothing else), then tenant and liveness are checked here.
    const team = await teams.findOne({ _id: id }, { maxTimeMS: remainingMs(ctx) });
    if (!team || team.tenantId !== ctx.tenantId || team.deletedAt)
      throw errors.notFound(`Group ${id} not found`);
    return team;
  };

  /** A team's members; the default team's are derived (default_team.ts), not stored. */
  const membersOf = async (team: TeamRecord): Promise<MemberView[]> => {
    if (team.isDefault) return defaultTeamMembersOf(deps.store, team.tenantId);
    return members
      .find({ teamId: team._id }, { projection: { userId: 1, display: 1 } })
      .sort({ created: 1, _id: 1 })
      .toArray();
  };

  const checkName = async (ctx: RequestContext, name: string, selfId?: string) => {
    const trimmed = name.trim();
    if (!trimmed) throw errors.invalidValue('"displayName" is required');
    if (trimmed.length > 256) throw errors.invalidValue('"displayName" is longer than 256 characters');
    const taken = await teams.countDocuments({
      tenantId: ctx.tenantId,
      displayNameLower: trimmed.toLowerCase(),
      ...(selfId ? { _id: { $ne: selfId } } : {}),
    });
    if (taken > 0) throw errors.uniqueness(`A group named "${trimmed}" already exists`);
    return trimmed;
  };

  const commit = async (ctx: RequestContext, before: TeamRecord | undefined, change: TeamChange) => {
    const intentId = `team:${change.team._id}:${change.team.version}`;
    await deps.outbox.commit(
      {
        kind: "team",
        aggregateId: change.team._id,
        tenantId: ctx.tenantId,
        version: change.team.version,
        state: change,
        events: teamEvents(intentId, ctx, before, change.team, {
          added: change.add.map((m) => m.userId),
          removed: change.remove,
        }),
      },
      apply,
    );
  };

  /** `members.value eq "u"` needs a join: it becomes `id eq t1 or id eq t2 …` over the user's teams. */
  const resolveMemberFilters = async (tenantId: string, filter: Filter): Promise<Filter> => {
    const kind = filter.kind;
    if (kind.case === "comparison" && kind.value.attribute === "members.value") {
      const userId = kind.value.value?.kind.case === "string" ? kind.value.value.kind.value : undefined;
      if (kind.value.operator !== Operator.EQ || userId === undefined) {
        throw errors.invalidFilter('Only "members.value eq <user id>" is supported on members');
      }
      const teamIds = await teamIdsOfUser(deps.store, tenantId, userId);
      const operands = [...teamIds, "\u0000none"].map((id) =>
        create(FilterSchema, {
          kind: {
            case: "comparison",
            value: {
              attribute: "id",
              operator: Operator.EQ,
              value: { kind: { case: "string", value: id } },
              caseExact: true,
            },
          },
        }),
      );
      return create(FilterSchema, { kind: { case: "or", value: { operands } } });
    }
    if (kind.case === "and" || kind.case === "or") {
      const operands = await Promise.all(kind.value.operands.map((f) => resolveMemberFilters(tenantId, f)));
      return create(FilterSchema, { kind: { case: kind.case, value: { operands } } });
    }
    if (kind.case === "not")
      return create(FilterSchema, {
        kind: { case: "not", value: await resolveMemberFilters(tenantId, kind.value) },
      });
    if (kind.case === "valuePath" && kind.value.attribute === "members" && kind.value.filter) {
      const inner = kind.value.filter.kind;
      if (inner.case === "comparison" && inner.value.attribute === "value") {
        return resolveMemberFilters(
          tenantId,
          create(FilterSchema, {
            kind: { case: "comparison", value: { ...inner.value, attribute: "members.value" } },
          }),
        );
      }
      throw errors.invalidFilter('Only members[value eq "<user id>"] is supported on members');
    }
    return filter;
  };

  return {
    async create(ctx, input) {
      const displayName = await checkName(ctx, input.displayName);
      const now = new Date();
      const team: TeamRecord = {
        _id: randomUUID(),
        tenantId: ctx.tenantId,
        displayName,
        displayNameLower: displayName.toLowerCase(),
        ...(input.externalId !== undefined ? { externalId: input.externalId } : {}),
        isDefault: false,
        created: now,
        lastModified: now,
        version: 1,
      };
      const unique = [...new Map(input.members.map((m) => [m.userId, m])).values()];
      await commit(ctx, undefined, { team, add: unique, remove: [] });
      return team;
    },
    async get(ctx, id, includeMembers) {
      const team = await load(ctx, id);
      return { team, members: includeMembers ? await membersOf(team) : undefined };
    },
    async list(ctx, query) {
      const filter: Document = { tenantId: ctx.tenantId, deletedAt: { $exists: false } };
      if (query.filter?.kind.case)
        filter["$and"] = [filterToMongo(await resolveMemberFilters(ctx.tenantId, query.filter), teamFields)];
      const page = query.page;
      const sortField = page?.sortBy ? TEAM_SORT_FIELDS[page.sortBy] : "created";
      if (!sortField) throw errors.invalidValue(`Cannot sort by "${page?.sortBy}"`);
      const options = { maxTimeMS: remainingMs(ctx) };
      const [total, records] = await Promise.all([
        teams.countDocuments(filter, options),
        page && page.limit === 0
          ? Promise.resolve([])
          : teams
              .find(filter, options)
              .sort({ [sortField]: page?.descending ? -1 : 1, _id: 1 })
              .skip(page?.offset ?? 0)
              .limit(page?.limit ?? 100)
              .toArray(),
      ]).catch(unsupportedQuery);
      const result: TeamWithMembers[] = [];
      for (const team of records)
        result.push({ team, members: query.includeMembers ? await membersOf(team) : undefined });
      return { teams: result, total };
    },
    async update(ctx, id, update) {
      const team = await load(ctx, id);
      if (update.expectedVersion !== 0 && update.expectedVersion !== team.version) {
        throw errors.preconditionFailed(
          `Group ${id} has changed (version ${team.version}, expected ${update.expectedVersion})`,
        );
      }
      const touchesMembers =
        update.replaceMembers !== undefined ||
        update.addMembers.length > 0 ||
        update.removeUserIds.length > 0;
      if (team.isDefault && touchesMembers) {
        throw errors.mutability(
          "Members of the default team are managed by Moodpoll: a user is in it exactly when in no other team",
        );
      }
      let add: MemberInput[];
      let remove: string[];
      if (update.replaceMembers !== undefined) {
        const current = new Set(
          (await members.find({ teamId: id }, { projection: { userId: 1 } }).toArray()).map((m) => m.userId),
        );
        const target = new Map(update.replaceMembers.map((m) => [m.userId, m]));
        add = [...target.values()].filter((m) => !current.has(m.userId));
        remove = [...current].filter((userId) => !target.has(userId));
      } else {
        // Set operations as requested: adding a member twice or removing a non-member is a no-op
        // of the idempotent writes, so no read of the member list is needed (a read per member on
        // FerretDB would cost more than the writes).
        const removing = new Set(update.removeUserIds);
        add = [
          ...new Map(
            update.addMembers.filter((m) => !removing.has(m.userId)).map((m) => [m.userId, m]),
          ).values(),
        ];
        remove = [...removing];
      }
      const displayName =
        update.displayName !== undefined && update.displayName.trim() !== team.displayName
          ? await checkName(ctx, update.displayName, id)
          : team.displayName;
      const externalId = update.clearExternalId ? undefined : (update.externalId ?? team.externalId);
      if (
        displayName === team.displayName &&
        externalId === team.externalId &&
        add.length === 0 &&
        remove.length === 0
      )
        return team;
      const { externalId: _old, ...rest } = team;
      const next: TeamRecord = {
        ...rest,
        displayName,
        displayNameLower: displayName.toLowerCase(),
        ...(externalId !== undefined ? { externalId } : {}),
        lastModified: new Date(),
        version: team.version + 1,
      };
      await commit(ctx, team, { team: next, add, remove });
      return next;
    },
    async delete(ctx, id) {
      const team = await load(ctx, id);
      if (team.isDefault) throw errors.mutability("The default team cannot be deleted");
      const now = new Date();
      const next: TeamRecord = {
        ...team,
        displayNameLower: `deleted:${id}`,
        deletedAt: now,
        lastModified: now,
        version: team.version + 1,
      };
      await commit(ctx, team, { team: next, add: [], remove: [] });
    },
    async ensureDefaultTeam(ctx, name) {
      const id = defaultTeamId(ctx.tenantId);
      // A default team is never deleted, so "it exists" can be remembered (one read per tenant).
      if (defaultTeamsSeen.has(id)) return;
      if (await teams.findOne({ _id: id }, { projection: { _id: 1 } })) {
        defaultTeamsSeen.add(id);
        return;
      }
      const now = new Date();
      for (const candidate of [
        name.trim() || DEFAULT_TEAM_NAME,
        `${name.trim() || DEFAULT_TEAM_NAME} (Moodpoll)`,
      ]) {
        const team: TeamRecord = {
          _id: id,
          tenantId: ctx.tenantId,
          displayName: candidate,
          displayNameLower: candidate.toLowerCase(),
          isDefault: true,
          created: now,
          lastModified: now,
          version: 1,
        };
        try {
          await commit(ctx, undefined, { team, add: [], remove: [] });
          return;
        } catch (error) {
          if (error instanceof AppError && error.code === "precondition_failed") return; // another replica did it
          if (!(error instanceof AppError) || error.code !== "uniqueness") throw error;
          // A group already has that name: the default team takes a distinguishable one.
        }
      }
    },
  };
}
