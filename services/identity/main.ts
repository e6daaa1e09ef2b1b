// Wiring only: config, connections and shutdown live in platform/runService.
import "../../platform/require_node.ts";
import { runService } from "../../platform/mod.ts";

await runService({
  name: "identity",
  portVar: "IDENTITY_GRPC_PORT",
  defaultPort: 50051,
  indexes: {},
  grpcServiceNames: ["moodpoll.identity.v1.TenantService", "moodpoll.identity.v1.UserService"],
  build: () => ({}),
});
