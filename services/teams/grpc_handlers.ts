import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { TeamService } from "../../gen/moodpoll/teams/v1/teams_pb.ts";
import { errors, type CallContext, type GrpcServer, type RequestContext } from "../../platform/mod.ts";
import { teamsOfUsers, type TeamsStore } from "./teams/membership_queries.ts";
import type { TeamService as Teams, TeamWithMembers } from "./teams/service.ts";

function context(call: CallContext, tenantId: string): RequestContext {
  if (!tenantId) throw errors.invalidArgument("tenant_id is required");
  return { requestId: call.requestId, tenantId, signal: call.signal, deadline: call.deadline };
}

const teamMessage = ({ team, members }: TeamWithMembers) => ({
  id: team._id,
  tenantId: team.tenantId,
  displayName: team.displayName,
  externalId: team.externalId,
  isDefault: team.isDefault,
  members: (members ?? []).map((m) => ({ userId: m.userId, display: m.display })),
  created: timestampFromDate(team.created),
  lastModified: timestampFromDate(team.lastModified),
  version: BigInt(team.version),
});

const memberInputs = (list: { userId: string; display: string }[]) =>
  list.map((m) => ({ userId: m.userId, display: m.display || m.userId }));

/** Adapts gRPC calls to the teams use cases. */
export function addTeamsHandlers(server: GrpcServer, deps: { store: TeamsStore; teams: Teams }): void {
  const { teams } = deps;
  server.add(TeamService, {
    async createTeam(req, call) {
      const team = await teams.create(context(call, req.tenantId), {
        displayName: req.displayName,
        externalId: req.externalId,
        members: memberInputs(req.members),
      });
      return { team: teamMessage({ team, members: undefined }) };
    },
    async getTeam(req, call) {
      return {
        team: teamMessage(await teams.get(context(call, req.tenantId), req.teamId, req.includeMembers)),
      };
    },
    async listTeams(req, call) {
      const { teams: list, total } = await teams.list(context(call, req.tenantId), {
        filter: req.filter,
        page: req.page,
        includeMembers: req.includeMembers,
      });
      return { teams: list.map(teamMessage), totalResults: total };
    },
    async updateTeam(req, call) {
      const team = await teams.update(context(call, req.tenantId), req.teamId, {
        displayName: req.displayName,
        externalId: req.externalId,
        clearExternalId: req.clearExternalId,
        replaceMembers: req.replaceMembers ? memberInputs(req.replaceMembers.members) : undefined,
        addMembers: memberInputs(req.addMembers),
        removeUserIds: req.removeMemberUserIds,
        expectedVersion: Number(req.expectedVersion),
      });
      return { team: teamMessage({ team, members: undefined }) };
    },
    async deleteTeam(req, call) {
      await teams.delete(context(call, req.tenantId), req.teamId);
      return {};
    },
    async listUserTeams(req, call) {
      const ctx = context(call, req.tenantId);
      const map = await teamsOfUsers(deps.store, ctx.tenantId, req.userIds);
      return { users: [...map].map(([userId, list]) => ({ userId, teams: list })) };
    },
  });
}
