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
}

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

  const handleOne = async (msg: JsMsg) => {
    const event: InboundEvent = {
      subject: msg.subject,
      data: msg.data,
      headers: msg.headers,
      deliveryCount: msg.info.deliveryCount,
    };
    try {
      await spec.handle(event);
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

  const concurrency = Math.max(1, spec.concurrency ?? 1);
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    while (!stopped) {
      try {
        messages = await consumer.consume({ max_messages: Math.max(100, concurrency * 4) });
        for await (const msg of messages) {
          const work = handleOne(msg).finally(() => inFlight.delete(work));
          inFlight.add(work);
          if (inFlight.size >= concurrency) await Promise.race(inFlight);
        }
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
      await Promise.all(inFlight);
    },
  };
}
