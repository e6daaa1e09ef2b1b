// Wiring only: config, connections and shutdown live in platform/runService.
import "../../platform/require_node.ts";
import { runService } from "../../platform/mod.ts";
import { addTeamsHandlers } from "./grpc_handlers.ts";
import { teamIndexes } from "./teams/records.ts";

await runService({
  name: "teams",
  portVar: "TEAMS_GRPC_PORT",
  defaultPort: 50052,
  indexes: teamIndexes,
  grpcServiceNames: ["moodpoll.teams.v1.TeamService"],
  build: ({ mongo, server }) => {
    addTeamsHandlers(server, { db: mongo.db });
    return {};
  },
});
