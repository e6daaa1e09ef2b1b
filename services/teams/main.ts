// Wiring only: config, connections and shutdown live in platform/runService.
import "../../platform/require_node.ts";
import { eventsOnly, runService } from "../../platform/mod.ts";
import { addTeamsHandlers } from "./grpc_handlers.ts";
import {
  createReconciler,
  identityEventsConsumer,
  teamDeletedConsumer,
  tenantCreatedConsumer,
} from "./teams/consumers.ts";
import { createMemberships } from "./teams/membership.ts";
import { teamIndexes } from "./teams/records.ts";
import { createRehoming } from "./teams/rehoming.ts";
import { createTeamService, teamApplier } from "./teams/service.ts";

await runService({
  name: "teams",
  portVar: "TEAMS_GRPC_PORT",
  defaultPort: 50052,
  indexes: teamIndexes,
  grpcServiceNames: ["moodpoll.teams.v1.TeamService"],
  build: ({ mongo, outbox, server, logger }) => {
    const db = mongo.db;
    const memberships = createMemberships(mongo);
    const teams = createTeamService({ store: mongo, outbox, memberships });
    const rehoming = createRehoming({ db, outbox, memberships, logger });
    addTeamsHandlers(server, { store: mongo, teams });
    return {
      appliers: { team: teamApplier(db, memberships), orphans: eventsOnly, rehomed: eventsOnly },
      consumers: [
        tenantCreatedConsumer(teams),
        identityEventsConsumer({ db, teams, logger }),
        teamDeletedConsumer(rehoming),
      ],
      background: [
        createReconciler({
          rehoming,
          logger,
          intervalMs: Number(process.env["RECONCILE_INTERVAL_MS"] ?? 60_000),
        }),
      ],
    };
  },
});
