import { connect, nanos, type NatsConnection } from "@nats-io/transport-node";
import {
  jetstream,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import { errors } from "./errors.ts";
import type { Logger } from "./logger.ts";

export interface NatsHandle {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  isConnected(): boolean;
  /** Drains subscriptions and closes the connection (the last NATS step of shutdown). */
  close(): Promise<void>;
}

/**
 * Connects to NATS and keeps reconnecting forever: NATS being down delays events, never drops
 * them (the outbox keeps them until JetStream acknowledges).
 */
export async function connectNats(
  url: string,
  options: { name: string; logger: Logger },
): Promise<NatsHandle> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: url.split(","),
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      waitOnFirstConnect: false,
      // The client otherwise builds an Error (a stack trace) for every request in case it times
      // out: measurable on the outbox relay's hot path. Timeouts still say what timed out.
      noAsyncTraces: true,
    });
  } catch (error) {
    throw errors.unavailable(`Cannot connect to NATS at ${url}`, error);
  }
  // isClosed() stays false while the client reconnects, so readiness follows the status events.
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") connected = false;
      if (status.type === "reconnect") connected = true;
      if (status.type === "disconnect" || status.type === "reconnect") {
        options.logger.warn({ nats: status.type }, `NATS ${status.type}`);
      }
    }
  })();
  options.logger.info({ server: nc.getServer() }, "connected to NATS");
  const jsm = await jetstreamManager(nc);
  return {
    nc,
    js: jetstream(nc),
    jsm,
    isConnected: () => connected && !nc.isClosed() && !nc.isDraining(),
    async close() {
      if (!nc.isClosed()) await nc.drain();
    },
  };
}

/** The event stream every service publishes to (ARCHITECTURE.md "Events"). */
export const EVENT_STREAM = "MOODPOLL" as const;
/** Where consumers park poison messages, with the reason in a header, for a human to look at. */
export const PARKED_STREAM = "MOODPOLL_PARKED" as const;

/**
 * Creates or updates the streams. Limits retention keeps events for every future subscriber; the
 * two-minute duplicate window turns a re-published outbox event (same msgID) into a no-op.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  options: { replicas?: number } = {},
): Promise<void> {
  const replicas = options.replicas ?? 1;
  const streams: (Partial<StreamConfig> & { name: string })[] = [
    {
      name: EVENT_STREAM,
      subjects: ["moodpoll.v1.>"],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(30 * 24 * 3600 * 1000),
      duplicate_window: nanos(2 * 60 * 1000),
      num_replicas: replicas,
    },
    {
      name: PARKED_STREAM,
      subjects: ["moodpoll.parked.>"],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(90 * 24 * 3600 * 1000),
      num_replicas: replicas,
    },
  ];
  for (const config of streams) {
    try {
      await jsm.streams.info(config.name);
      await jsm.streams.update(config.name, config);
    } catch (error) {
      if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound)
        throw error;
      await jsm.streams.add(config);
    }
  }
}
