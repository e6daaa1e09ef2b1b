// Wiring only: config, connections and shutdown live in platform/runService.
import "../../platform/require_node.ts";
import { runService } from "../../platform/mod.ts";
import { addIdentityHandlers } from "./grpc_handlers.ts";
import { createTenantService, tenantApplier, tenantIndexes } from "./tenants/service.ts";
import { USERS, userIndexes } from "./users/record.ts";
import { orphanedMemberConsumer } from "./users/consumers.ts";
import { createUserService, userApplier } from "./users/service.ts";
import { createDirectory, directoryIndexes, directoryProjector } from "./users/directory/mod.ts";

await runService({
  name: "identity",
  portVar: "IDENTITY_GRPC_PORT",
  defaultPort: 50051,
  indexes: {
    ...tenantIndexes,
    ...directoryIndexes,
    [USERS]: userIndexes,
  },
  grpcServiceNames: ["moodpoll.identity.v1.TenantService", "moodpoll.identity.v1.UserService"],
  build: ({ mongo, outbox, server, logger }) => {
    const tenants = createTenantService({ db: mongo.db, outbox });
    const { pointReadsOnly } = mongo;
    const directory = createDirectory(mongo.db, { pointReadsOnly });
    const users = createUserService({ db: mongo.db, outbox, directory, pointReadsOnly });
    addIdentityHandlers(server, { tenants, users });
    return {
      appliers: { tenant: tenantApplier(mongo.db), user: userApplier(mongo.db) },
      consumers: [orphanedMemberConsumer(users, logger), directoryProjector(directory)],
    };
  },
});
