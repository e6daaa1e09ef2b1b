import { TenantService, UserService } from "../../../gen/moodpoll/identity/v1/identity_pb.ts";
import { TeamService, type Team } from "../../../gen/moodpoll/teams/v1/teams_pb.ts";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { GroupView } from "../scim/group_resource.ts";
import { errors, type CallOptions, type Channel, type RequestContext } from "../../../platform/mod.ts";
import type { IdentityPort, TeamsPort } from "../ports.ts";

const options = (ctx: RequestContext): CallOptions => ({
  requestId: ctx.requestId,
  deadline: ctx.deadline,
  signal: ctx.signal,
});

/** IdentityPort over gRPC: the request's deadline becomes the call deadline. */
export function grpcIdentity(channel: Channel): IdentityPort {
  const tenants = channel.client(TenantService);
  const users = channel.client(UserService);
  return {
    async authenticate(secret, requestId) {
      const res = await tenants.authenticateToken({ secret }, { requestId, deadline: Date.now() + 5000 });
      return { tenantId: res.tenant?.id ?? "", tenantName: res.tenant?.name ?? "", tokenId: res.tokenId };
    },
    async createUser(ctx, user) {
      return (await users.createUser({ tenantId: ctx.tenantId, user }, options(ctx))).user!;
    },
    async getUser(ctx, id) {
      return (await users.getUser({ tenantId: ctx.tenantId, userId: id }, options(ctx))).user!;
    },
    async listUsers(ctx, query) {
      const res = await users.listUsers(
        {
          tenantId: ctx.tenantId,
          filter: query.filter,
          page: {
            offset: query.offset,
            limit: query.limit,
            sortBy: query.sortBy ?? "",
            descending: query.descending,
          },
        },
        options(ctx),
      );
      return { users: res.users, total: res.totalResults };
    },
    async replaceUser(ctx, user, expectedVersion) {
      return (
        await users.replaceUser(
          { tenantId: ctx.tenantId, user, expectedVersion: BigInt(expectedVersion) },
          options(ctx),
        )
      ).user!;
    },
    async deleteUser(ctx, id, expectedVersion) {
      await users.deleteUser(
        { tenantId: ctx.tenantId, userId: id, expectedVersion: BigInt(expectedVersion) },
        options(ctx),
      );
    },
    async lookupUsers(ctx, ids) {
      const res = await users.lookupUsers({ tenantId: ctx.tenantId, userIds: [...ids] }, options(ctx));
      return { users: new Map(res.users.map((u) => [u.id, u.display])), missing: res.missingUserIds };
    },
  };
}

function groupView(team: Team | undefined, includeMembers: boolean): GroupView {
  if (!team) throw errors.unavailable("The teams service answered without a team");
  return {
    id: team.id,
    displayName: team.displayName,
    externalId: team.externalId,
    isDefault: team.isDefault,
    members: includeMembers ? team.members.map((m) => ({ userId: m.userId, display: m.display })) : undefined,
    created: team.created ? timestampDate(team.created) : undefined,
    lastModified: team.lastModified ? timestampDate(team.lastModified) : undefined,
    version: team.version,
  };
}

/** TeamsPort over gRPC. */
export function grpcTeams(channel: Channel): TeamsPort {
  const teams = channel.client(TeamService);
  return {
    async teamsOfUsers(ctx, userIds) {
      const result = new Map<string, { id: string; displayName: string }[]>();
      if (userIds.length === 0) return result;
      const res = await teams.listUserTeams({ tenantId: ctx.tenantId, userIds: [...userIds] }, options(ctx));
      for (const entry of res.users) {
        result.set(
          entry.userId,
          entry.teams.map((t) => ({ id: t.id, displayName: t.displayName })),
        );
      }
      return result;
    },
    async createTeam(ctx, input) {
      const res = await teams.createTeam({ tenantId: ctx.tenantId, ...input }, options(ctx));
      return groupView(res.team, false);
    },
    async getTeam(ctx, id, includeMembers) {
      const res = await teams.getTeam({ tenantId: ctx.tenantId, teamId: id, includeMembers }, options(ctx));
      return groupView(res.team, includeMembers);
    },
    async listTeams(ctx, query) {
      const res = await teams.listTeams(
        {
          tenantId: ctx.tenantId,
          filter: query.filter,
          page: {
            offset: query.offset,
            limit: query.limit,
            sortBy: query.sortBy ?? "",
            descending: query.descending,
          },
          includeMembers: query.includeMembers,
        },
        options(ctx),
      );
      return { teams: res.teams.map((t) => groupView(t, query.includeMembers)), total: res.totalResults };
    },
    async updateTeam(ctx, id, update) {
      const res = await teams.updateTeam(
        {
          tenantId: ctx.tenantId,
          teamId: id,
          displayName: update.displayName,
          externalId: update.externalId,
          clearExternalId: update.clearExternalId,
          replaceMembers: update.replaceMembers ? { members: update.replaceMembers } : undefined,
          addMembers: update.addMembers,
          removeMemberUserIds: update.removeMemberIds,
          expectedVersion: BigInt(update.expectedVersion),
        },
        options(ctx),
      );
      return groupView(res.team, false);
    },
    async deleteTeam(ctx, id) {
      await teams.deleteTeam({ tenantId: ctx.tenantId, teamId: id }, options(ctx));
    },
  };
}
