import { loadConfig } from "./config.ts";
import { createGrpcServer, type GrpcServer } from "./grpc/server.ts";
import { addHealthService } from "./grpc/health.ts";
import { createLogger, type Logger } from "./logger.ts";
import { connectMongo, type IndexSpecs, type MongoHandle } from "./mongo.ts";
import { connectNats, ensureStreams, type NatsHandle } from "./nats.ts";
import { createOutbox, OUTBOX_COLLECTION, outboxIndexes, type Applier, type Outbox } from "./outbox.ts";
import { startConsumer, type ConsumerSpec, type RunningConsumer } from "./consumer.ts";
import { exitOnStartupError, registerShutdown } from "./shutdown.ts";

/** Environment every gRPC service reads (see the configuration table in README.md). */
export interface ServiceConfig {
  grpcHost: string;
  grpcPort: number;
  mongoUrl: string;
  mongoDb: string;
  natsUrl: string;
  streamReplicas: number;
}

export function readServiceConfig(
  env: Record<string, string | undefined>,
  defaultPort: number,
  portVar: string,
) {
  return loadConfig(env, (read) => ({
    grpcHost: read.string("GRPC_HOST", "127.0.0.1"),
    grpcPort: read.int(portVar, defaultPort, { min: 0, max: 65535 }),
    mongoUrl: read.url("MONGO_URL", ["mongodb", "mongodb+srv"]),
    mongoDb: read.string("MONGO_DB", "moodpoll"),
    natsUrl: read.string("NATS_URL"),
    streamReplicas: read.int("NATS_STREAM_REPLICAS", 1, { min: 1, max: 5 }),
  }));
}

/** What a service builds on top of its connections. */
export interface ServiceParts {
  consumers?: ConsumerSpec[];
  appliers?: Record<string, Applier>;
  /** Background loops (reconcilers) started after the server listens. */
  background?: { start(): void; stop(): Promise<void> }[];
}

export interface ServiceDeps {
  logger: Logger;
  mongo: MongoHandle;
  nats: NatsHandle;
  server: GrpcServer;
  outbox: Outbox;
}

/**
 * The shared main() of the identity and teams services: read config → connect MongoDB (indexes)
 * and NATS (streams) → build the service → serve gRPC + health → start relay and consumers →
 * register the ordered shutdown. `build` wires the product code; this file knows none of it.
 */
export async function runService(options: {
  name: string;
  portVar: string;
  defaultPort: number;
  indexes: IndexSpecs;
  grpcServiceNames: string[];
  build(deps: ServiceDeps): Promise<ServiceParts> | ServiceParts;
}): Promise<void> {
  const logger = createLogger(options.name);
  try {
    const config = readServiceConfig(process.env, options.defaultPort, options.portVar);
    const mongo = await connectMongo(config.mongoUrl, {
      dbName: config.mongoDb,
      indexes: {
        ...options.indexes,
        [OUTBOX_COLLECTION]: outboxIndexes,
      },
      logger,
      appName: options.name,
    });
    const nats = await connectNats(config.natsUrl, { name: options.name, logger });
    await ensureStreams(nats.jsm, { replicas: config.streamReplicas });
    const server = createGrpcServer({ logger });
    const appliers: Record<string, Applier> = {};
    const outbox = createOutbox({
      db: mongo.db,
      nats,
      logger,
      appliers,
      pointReadsOnly: mongo.pointReadsOnly,
    });
    const parts = await options.build({ logger, mongo, nats, server, outbox });
    Object.assign(appliers, parts.appliers);
    const health = addHealthService(server, options.grpcServiceNames);
    const port = await server.listen(config.grpcHost, config.grpcPort);
    outbox.start();
    const consumers: RunningConsumer[] = [];
    for (const spec of parts.consumers ?? []) consumers.push(await startConsumer(nats, spec, logger));
    for (const loop of parts.background ?? []) loop.start();

    // Ready while both dependencies answer; re-checked every 2 s so a lost database shows up in probes.
    const refresh = async () => health.setServing(nats.isConnected() && (await mongo.ping(1500)));
    await refresh();
    const healthTimer = setInterval(() => void refresh(), 2000);
    logger.info({ port }, `${options.name} listening`);

    registerShutdown(logger, [
      { name: "mark not ready", run: () => (clearInterval(healthTimer), health.setServing(false)) },
      { name: "stop accepting and finish in-flight calls", run: () => server.shutdown(10_000) },
      {
        name: "stop background loops",
        run: () => Promise.all((parts.background ?? []).map((b) => b.stop())),
      },
      { name: "drain consumers", run: () => Promise.all(consumers.map((c) => c.stop())) },
      { name: "stop outbox relay", run: () => outbox.stop() },
      { name: "close NATS", run: () => nats.close() },
      { name: "close MongoDB", run: () => mongo.close() },
    ]);
  } catch (error) {
    exitOnStartupError(logger, error);
  }
}
