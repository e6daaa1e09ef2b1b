// Wiring only: config, connections and shutdown live in platform/runService.
import "../../platform/require_node.ts";
import { runService } from "../../platform/mod.ts";

await runService({
  name: "teams",
  portVar: "TEAMS_GRPC_PORT",
  defaultPort: 50052,
  indexes: {},
  grpcServiceNames: ["moodpoll.teams.v1.TeamService"],
  build: () => ({}),
});
