import type { Db } from "mongodb";
import { TeamService } from "../../gen/moodpoll/teams/v1/teams_pb.ts";
import { errors, type GrpcServer } from "../../platform/mod.ts";
import { teamsOfUsers } from "./teams/membership_queries.ts";

/** Adapts gRPC calls to the teams use cases. */
export function addTeamsHandlers(server: GrpcServer, deps: { db: Db }): void {
  server.add(TeamService, {
    async listUserTeams(req) {
      if (!req.tenantId) throw errors.invalidArgument("tenant_id is required");
      const map = await teamsOfUsers(deps.db, req.tenantId, req.userIds);
      return { users: [...map].map(([userId, teams]) => ({ userId, teams })) };
    },
  });
}
