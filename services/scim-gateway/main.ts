// Wiring only: read config → build adapters → build the app → listen → register shutdown.
import "../../platform/require_node.ts";
import type { AddressInfo } from "node:net";
import {
  createChannel,
  createLogger,
  exitOnStartupError,
  isServing,
  registerShutdown,
} from "../../platform/mod.ts";
import { readGatewayConfig } from "./config.ts";
import { grpcIdentity, grpcTeams } from "./backends/grpc.ts";
import { createApp, type Readiness } from "./http/app.ts";
import { scimRouter } from "./http/scim_router.ts";

const logger = createLogger("scim-gateway");
try {
  const config = readGatewayConfig(process.env);
  const identity = createChannel(config.identityAddress);
  const teams = createChannel(config.teamsAddress);
  const readiness: Readiness = {
    async check() {
      const [identityOk, teamsOk] = await Promise.all([isServing(identity), isServing(teams)]);
      return { ready: identityOk && teamsOk, checks: { identity: identityOk, teams: teamsOk } };
    },
  };
  let accepting = true;
  const scim = scimRouter({
    identity: grpcIdentity(identity),
    teams: grpcTeams(teams),
    tokenCacheMs: config.tokenCacheMs,
    timeoutMs: config.requestTimeoutMs,
    maxBodyBytes: config.maxBodyBytes,
    publicBaseUrl: config.publicBaseUrl,
  });
  const app = createApp({
    logger,
    readiness,
    scim,
    maxBodyBytes: config.maxBodyBytes,
    isAccepting: () => accepting,
  });
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = config.requestTimeoutMs + 5000;
  logger.info({ port: (server.address() as AddressInfo).port }, "scim-gateway listening");

  registerShutdown(logger, [
    { name: "mark not ready", run: () => void (accepting = false) },
    {
      name: "stop accepting and finish in-flight requests",
      run: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    },
    { name: "close gRPC channels", run: () => (identity.close(), teams.close()) },
  ]);
} catch (error) {
  exitOnStartupError(logger, error);
}
