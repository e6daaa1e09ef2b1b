import { TenantService, UserService } from "../../../gen/moodpoll/identity/v1/identity_pb.ts";
import { TeamService } from "../../../gen/moodpoll/teams/v1/teams_pb.ts";
import type { CallOptions, Channel, RequestContext } from "../../../platform/mod.ts";
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
  };
}
