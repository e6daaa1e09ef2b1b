import { headers, nanos, type MsgHdrs } from "@nats-io/transport-node";
import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import { AppError, ErrorCode } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { EVENT_STREAM, type NatsHandle } from "./nats.ts";

/** An event as a handler sees it. */
export interface InboundEvent {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs | undefined;
  readonly deliveryCount: number;
}

export interface ConsumerSpec {
  /** Durable name: replicas with the same name share the work (each event handled once in effect). */
  readonly durable: string;
  readonly filterSubjects: readonly string[];
  /** Must be idempotent: at-least-once delivery means it can run twice for one event. */
  handle(event: InboundEvent): Promise<void>;
  /** Deliveries before an event that keeps failing is parked. */
  readonly maxDeliver?: number;
  /** Events handled at once (default 1: in order). Only for handlers whose events commute. */
  readonly concurrency?: number;
  /**
   * Handles, in stream order, the events that arrived while the previous batch was being handled
   * (group commit: one database command for many events under load, one event at a time when
   * idle). Must have the same effect as `handle` on each event in turn. If it throws, each event
   * of the batch goes through `handle` on its own, so one bad event cannot hold back the others.
   */
  handleBatch?(events: readonly InboundEvent[]): Promise<void>;
  /** Most events given to one `handleBatch` call (default 256). */
  readonly maxBatch?: number;
  /**
   * How long a batch waits for company before it is handled (default 0). For handlers whose cost
   * is per batch rather than per event: a burst then costs a few large writes, not many small ones.
   */
  readonly lingerMs?: number;
  /**
   * One replica at a time receives this consumer's events (JetStream's pinned client): for
   * handlers that must be the only writer of what they maintain. If the pinned replica goes away,
   * another is pinned after {@link EXCLUSIVE_PIN_TTL_MS}.
   */
  readonly exclusive?: boolean;
}

/** How long a silent pinned client keeps its pin before another replica takes over. */
export const EXCLUSIVE_PIN_TTL_MS = 30_000;
const EXCLUSIVE_GROUP = "exclusive";

export interface RunningConsumer {
  /** Stops fetching, lets the in-flight handler finish (the "drain consumers" shutdown step). */
  stop(): Promise<void>;
}

/** Errors that no retry can fix: the message is parked at once rather than redelivered. */
function isPoison(error: unknown): boolean {
  return (
    error instanceof AppError &&
    (error.code === ErrorCode.InvalidArgument || error.code === ErrorCode.InvalidValue)
  );
}

/** Delay before a redelivery: 1 s, 2 s, 4 s … capped at 60 s. */
export function retryDelayMs(deliveryCount: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, deliveryCount - 1));
}

/**
 * Runs a durable pull consumer with explicit acks: ack on success, delayed nak on a transient
 * failure, and parking (publish to moodpoll.parked.<durable> with the reason, then term) for
 * poison messages or after `maxDeliver` attempts.
 */
export async function startConsumer(
  nats: NatsHandle,
  spec: ConsumerSpec,
  logger: Logger,
): Promise<RunningConsumer> {
  const maxDeliver = spec.maxDeliver ?? 10;
  const config = {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subjects: [...spec.filterSubjects],
    ack_wait: nanos(30_000),
    max_ack_pending: 1000,
    ...(spec.exclusive
      ? {
          priority_groups: [EXCLUSIVE_GROUP],
          priority_policy: "pinned_client" as const, // PriorityPolicy.PinnedClient (a type-only export)
          priority_timeout: nanos(EXCLUSIVE_PIN_TTL_MS),
        }
      : {}),
  };
  try {
    await nats.jsm.consumers.update(EVENT_STREAM, spec.durable, { filter_subjects: config.filter_subjects });
  } catch {
    await nats.jsm.consumers.add(EVENT_STREAM, config);
  }
  const consumer = await nats.js.consumers.get(EVENT_STREAM, spec.durable);
  const log = logger.child({ consumer: spec.durable });
  let messages: ConsumerMessages | undefined;
  let stopped = false;

  const park = async (msg: JsMsg, reason: string) => {
    const h = headers();
    h.set("Moodpoll-Parked-Reason", reason.slice(0, 1000));
    h.set("Moodpoll-Original-Subject", msg.subject);
    h.set("Nats-Msg-Id", `parked:${spec.durable}:${msg.seq}`);
    await nats.js.publish(`moodpoll.parked.${spec.durable}`, msg.data, { headers: h });
    msg.term(reason.slice(0, 200));
    log.error({ subject: msg.subject, seq: msg.seq, reason }, "event parked");
  };

  const eventOf = (msg: JsMsg): InboundEvent => ({
    subject: msg.subject,
    data: msg.data,
    headers: msg.headers,
    deliveryCount: msg.info.deliveryCount,
  });

  const handleOne = async (msg: JsMsg) => {
    try {
      await spec.handle(eventOf(msg));
      msg.ack();
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (isPoison(error) || msg.info.deliveryCount >= maxDeliver) {
        // Never throws: if parking fails (NATS gone), the event is redelivered later.
        await park(msg, reason).catch((parkError: unknown) => {
          log.error({ err: parkError, seq: msg.seq }, "could not park an event, will retry");
          msg.nak(retryDelayMs(msg.info.deliveryCount));
        });
      } else {
        const delay = retryDelayMs(msg.info.deliveryCount);
        log.warn(
          { subject: msg.subject, seq: msg.seq, reason, retryInMs: delay },
          "event handling failed, will retry",
        );
        msg.nak(delay);
      }
    }
  };

  const handleBatch = spec.handleBatch?.bind(spec);
  const maxBatch = spec.maxBatch ?? 256;
  /** Handles a batch in one call; on failure, each event on its own (retries and parking as usual). */
  const handleMany = async (batch: JsMsg[]) => {
    if (!handleBatch || batch.length === 1) {
      for (const msg of batch) await handleOne(msg);
      return;
    }
    try {
      await handleBatch(batch.map(eventOf));
      for (const msg of batch) msg.ack();
    } catch (error) {
      log.warn({ err: error, events: batch.length }, "batch failed, handling its events one by one");
      for (const msg of batch) await handleOne(msg);
    }
  };

  /** Exclusive consumers: whether this replica holds the pin (from the client's notifications). */
  let pinned = false;
  const watchPin = (source: ConsumerMessages) => {
    void (async () => {
      for await (const note of source.status()) {
        if (note.type === "consumer_pinned") {
          pinned = true;
          log.info("pinned: this replica now receives the events");
        } else if (note.type === "consumer_unpinned") pinned = false;
      }
    })().catch(() => undefined);
  };

  const concurrency = Math.max(1, spec.concurrency ?? 1);
  const inFlight = new Set<Promise<void>>();
  /** Batch mode: messages wait here while the previous batch is handled. */
  let waiting: JsMsg[] = [];
  let batchRunning: Promise<void> | undefined;
  const runBatches = async () => {
    while (waiting.length > 0) {
      if (spec.lingerMs && waiting.length < maxBatch)
        await new Promise((resolve) => setTimeout(resolve, spec.lingerMs));
      const batch = waiting.slice(0, maxBatch);
      waiting = waiting.slice(maxBatch);
      await handleMany(batch);
    }
    batchRunning = undefined;
  };
  const loop = (async () => {
    while (!stopped) {
      try {
        const buffer = handleBatch ? maxBatch * 2 : Math.max(100, concurrency * 4);
        messages = await consumer.consume({
          max_messages: buffer,
          ...(spec.exclusive ? { group: EXCLUSIVE_GROUP } : {}),
        });
        if (spec.exclusive) watchPin(messages);
        for await (const msg of messages) {
          if (handleBatch) {
            waiting.push(msg);
            batchRunning ??= runBatches();
            if (waiting.length >= maxBatch) await batchRunning;
            continue;
          }
          const work = handleOne(msg).finally(() => inFlight.delete(work));
          inFlight.add(work);
          if (inFlight.size >= concurrency) await Promise.race(inFlight);
        }
        await batchRunning;
        await Promise.all(inFlight);
      } catch (error) {
        if (stopped) break;
        log.warn({ err: error }, "consumer interrupted, resuming in 1 s");
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      await messages?.close();
      await loop;
      await batchRunning;
      await Promise.all(inFlight);
      // Hand the pin over now rather than after its TTL, so a rolling update leaves no gap.
      if (spec.exclusive && pinned)
        await nats.jsm.consumers.unpin(EVENT_STREAM, spec.durable, EXCLUSIVE_GROUP).catch(() => undefined);
    },
  };
}
