// `npm start`: the whole system on one machine. With MONGO_URL / NATS_URL unset it also runs the
// embedded development servers (built on first use, data under .data/), then the three services,
// restarting any that exits unexpectedly, until Ctrl-C.
import "../../platform/require_node.ts";
import { resolve } from "node:path";
import { loadConfig } from "../../platform/config.ts";
import { startFerretDb, startNats, startServices } from "./stack.ts";
import type { ManagedProcess } from "./processes.ts";
import { ToolInstallError } from "./tools.ts";

const fail = (message: string): never => {
  console.error(`\nmoodpoll: ${message}`);
  process.exit(1);
};

const config = (() => {
  try {
    return loadConfig(process.env, (read) => ({
      port: read.int("PORT", 8080, { min: 1, max: 65535 }),
      mongoUrl: read.optional("MONGO_URL"),
      natsUrl: read.optional("NATS_URL"),
      dataDir: resolve(read.string("DATA_DIR", resolve(import.meta.dirname, "..", "..", ".data"))),
      devMongoPort: read.int("DEV_MONGO_PORT", 27017, { min: 1, max: 65535 }),
      devNatsPort: read.int("DEV_NATS_PORT", 4222, { min: 1, max: 65535 }),
      identityPort: read.int("IDENTITY_GRPC_PORT", 50051, { min: 1, max: 65535 }),
      teamsPort: read.int("TEAMS_GRPC_PORT", 50052, { min: 1, max: 65535 }),
    }));
  } catch (error) {
    return fail((error as Error).message);
  }
})();

const servers: ManagedProcess[] = [];
let stopAll = async () => {
  await Promise.all(servers.map((s) => s.stop()));
};
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log("\nmoodpoll: stopping...");
    void stopAll().then(() => process.exit(0));
  });
}

try {
  let mongoUrl = config.mongoUrl;
  let natsUrl = config.natsUrl;
  if (!mongoUrl) {
    const ferret = await startFerretDb({ dataDir: config.dataDir, port: config.devMongoPort });
    servers.push(ferret.proc);
    await ferret.proc.ready.catch(() =>
      fail(
        `the embedded FerretDB did not start on port ${config.devMongoPort} (busy? set DEV_MONGO_PORT or MONGO_URL)`,
      ),
    );
    mongoUrl = ferret.url;
    console.log(`moodpoll: embedded FerretDB (MongoDB-compatible) on ${mongoUrl}, data in ${config.dataDir}`);
  }
  if (!natsUrl) {
    const nats = await startNats({ dataDir: config.dataDir, port: config.devNatsPort });
    servers.push(nats.proc);
    await nats.proc.ready.catch(() =>
      fail(
        `the embedded NATS server did not start on port ${config.devNatsPort} (busy? set DEV_NATS_PORT or NATS_URL)`,
      ),
    );
    natsUrl = nats.url;
    console.log(`moodpoll: embedded NATS with JetStream on ${natsUrl}`);
  }
  const services = await startServices({
    mongoUrl,
    natsUrl,
    gatewayPort: config.port,
    identityPort: config.identityPort,
    teamsPort: config.teamsPort,
  });
  const previous = stopAll;
  stopAll = async () => {
    await services.stop();
    await previous();
  };
  const base = `${services.gatewayUrl}/scim/v2`;
  console.log(
    [
      "",
      "moodpoll: ready.",
      `  SCIM base URL:  ${base}`,
      `  health:         ${services.gatewayUrl}/healthz  ${services.gatewayUrl}/readyz`,
      `  create a tenant and its API token:  npm run tenant -- create --name "Acme"`,
      "  stop: Ctrl-C",
      "",
    ].join("\n"),
  );
} catch (error) {
  await stopAll();
  if (error instanceof ToolInstallError) fail(error.message);
  fail(error instanceof Error ? error.message : String(error));
}
