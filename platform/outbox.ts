import { headers } from "@nats-io/transport-node";
import type { Collection, Db, IndexDescription } from "mongodb";
import { AppError, errors } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { isDuplicateKey } from "./mongo.ts";
import type { NatsHandle } from "./nats.ts";

/** An event waiting to be published; `id` becomes the JetStream message id (dedup key). */
export interface OutboxEvent {
  readonly id: string;
  readonly subject: string;
  readonly type: string;
  readonly payload: Uint8Array;
}

/**
 * A recorded change ("intent"): the new state of one aggregate at one version plus the events the
 * change emits, written as ONE document. Its unique _id `<kind>:<aggregateId>:<version>` makes it
 * the commit point and the optimistic lock at once: only one writer can record version N. Once
 * recorded, the change is rolled forward (applied, then its events published) even after a crash,
 * which is how a state change and its events are "recorded together" without transactions.
 */
export interface Intent<State = unknown> {
  _id: string;
  kind: string;
  aggregateId: string;
  tenantId: string;
  version: number;
  /** The aggregate's state after the change; null for a deletion. */
  state: State | null;
  events: { id: string; subject: string; type: string; payload: Uint8Array | { buffer: Uint8Array } }[];
  status: "pending" | "applied" | "published";
  createdAt: Date;
  publishedAt?: Date;
}

/**
 * Applies an intent's state to the aggregate's collection. Must be idempotent (it may run twice)
 * and throw an {@link AppError} when the change can never apply (e.g. a unique index refuses it).
 */
export type Applier = (intent: Intent) => Promise<void>;

export const OUTBOX_COLLECTION = "outbox";
export const outboxIndexes: IndexDescription[] = [
  { key: { status: 1, createdAt: 1 }, name: "status_createdAt" },
];

export interface Outbox {
  /**
   * Records the intent (rejecting a concurrent writer of the same version with PreconditionFailed),
   * applies it, and schedules publication. A domain error from `apply` withdraws the intent, so
   * nothing is half-applied.
   */
  commit<State>(intent: Omit<Intent<State>, "_id" | "status" | "createdAt">, apply: Applier): Promise<void>;
  /** Starts the relay loop: publish applied intents, roll forward stale pending ones. */
  start(): void;
  /** Wakes the relay (after a commit) without waiting for the next poll. */
  kick(): void;
  stop(): Promise<void>;
  /** One relay pass; returns how many events were published (exposed for tests and tools). */
  relayOnce(): Promise<number>;
}

export interface OutboxOptions {
  db: Db;
  nats: NatsHandle;
  logger: Logger;
  /** Appliers by intent kind, used to roll forward intents left pending by a crash. */
  appliers: Record<string, Applier>;
  pollMs?: number;
  /** A pending intent older than this is considered abandoned by its writer and rolled forward. */
  staleMs?: number;
  retentionMs?: number;
}

/** Creates the outbox and its relay for one service. */
export function createOutbox(options: OutboxOptions): Outbox {
  const { db, nats, logger, appliers } = options;
  const pollMs = options.pollMs ?? 1000;
  const staleMs = options.staleMs ?? 10_000;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600 * 1000;
  const collection: Collection<Intent> = db.collection(OUTBOX_COLLECTION);
  const log = logger.child({ component: "outbox" });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = true;
  let wake = false;
  let lastCleanup = 0;

  const publish = async (intent: Intent) => {
    for (const event of intent.events) {
      const h = headers();
      h.set("Moodpoll-Event-Type", event.type);
      h.set("Moodpoll-Tenant-Id", intent.tenantId);
      const payload = event.payload instanceof Uint8Array ? event.payload : event.payload.buffer;
      await nats.js.publish(event.subject, payload, { msgID: event.id, headers: h, timeout: 5000 });
    }
    await collection.updateOne(
      { _id: intent._id },
      { $set: { status: "published", publishedAt: new Date() } },
    );
  };

  const rollForward = async (intent: Intent) => {
    const apply = appliers[intent.kind];
    if (!apply) throw new Error(`No applier for intent kind "${intent.kind}"`);
    try {
      await apply(intent);
      await collection.updateOne({ _id: intent._id, status: "pending" }, { $set: { status: "applied" } });
      log.warn({ intent: intent._id }, "rolled forward a pending change left by an interrupted writer");
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await collection.deleteOne({ _id: intent._id });
      log.warn({ intent: intent._id, reason: error.message }, "withdrew a pending change that cannot apply");
    }
  };

  const relayOnce = async (): Promise<number> => {
    let published = 0;
    const stale = new Date(Date.now() - staleMs);
    for await (const intent of collection.find({ status: "pending", createdAt: { $lt: stale } }).limit(100)) {
      await rollForward(intent);
    }
    for (;;) {
      const batch = await collection
        .find({ status: "applied" })
        .sort({ createdAt: 1, version: 1 })
        .limit(200)
        .toArray();
      for (const intent of batch) {
        await publish(intent);
        published += intent.events.length;
      }
      if (batch.length < 200) break;
    }
    if (Date.now() - lastCleanup > 3600_000) {
      lastCleanup = Date.now();
      await collection.deleteMany({
        status: "published",
        publishedAt: { $lt: new Date(Date.now() - retentionMs) },
      });
    }
    return published;
  };

  const tick = () => {
    if (stopped) return;
    wake = false;
    running = relayOnce()
      .catch((error: unknown) => log.warn({ err: error }, "relay pass failed, retrying"))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, wake ? 0 : pollMs);
      });
  };

  const kick = () => {
    if (stopped) return;
    wake = true;
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
      void running.then(() => {
        if (!timer && !stopped) tick();
      });
    }
  };

  return {
    async commit(input, apply) {
      const intent = {
        ...input,
        _id: `${input.kind}:${input.aggregateId}:${input.version}`,
        status: "pending",
        createdAt: new Date(),
      } as Intent;
      try {
        await collection.insertOne(intent);
      } catch (error) {
        if (isDuplicateKey(error))
          throw errors.preconditionFailed("The resource was modified concurrently; retry");
        throw error;
      }
      try {
        await apply(intent);
      } catch (error) {
        // Withdraw: the change did not happen, so neither may its events. If this delete fails
        // too, the relay's roll-forward meets the same refusal and withdraws it then.
        await collection.deleteOne({ _id: intent._id }).catch(() => undefined);
        throw error;
      }
      await collection
        .updateOne({ _id: intent._id }, { $set: { status: "applied" } })
        .catch((error: unknown) => {
          log.warn({ err: error, intent: intent._id }, "could not mark change applied; the relay will");
        });
      kick();
    },
    start() {
      stopped = false;
      tick();
    },
    kick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
    relayOnce,
  };
}
