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
/** Ids of intents not yet published: small, so the relay never scans the claims it keeps. */
export const OUTBOX_QUEUE_COLLECTION = "outbox_queue";
export const outboxIndexes: IndexDescription[] = [
  { key: { status: 1, publishedAt: 1 }, name: "status_publishedAt" },
];
export const outboxQueueIndexes: IndexDescription[] = [{ key: { createdAt: 1 }, name: "createdAt" }];

interface QueueEntry {
  _id: string;
  createdAt: Date;
}

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
  /**
   * How long a published intent is kept as the claim of its version. Longer than any request can
   * take, so a writer that read an old version cannot claim a version that was already written.
   */
  claimRetentionMs?: number;
}

/** Creates the outbox and its relay for one service. */
export function createOutbox(options: OutboxOptions): Outbox {
  const { db, nats, logger, appliers } = options;
  const pollMs = options.pollMs ?? 1000;
  const staleMs = options.staleMs ?? 10_000;
  const claimRetentionMs = options.claimRetentionMs ?? 10 * 60_000;
  const collection: Collection<Intent> = db.collection(OUTBOX_COLLECTION);
  const queue: Collection<QueueEntry> = db.collection(OUTBOX_QUEUE_COLLECTION);
  const log = logger.child({ component: "outbox" });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = true;
  let wake = false;
  let lastPrune = Date.now();

  // Every query below filters on _id alone: the only filter FerretDB's SQLite backend pushes down.
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
    await queue.deleteOne({ _id: intent._id });
  };

  const withdraw = async (id: string) => {
    await collection.deleteOne({ _id: id });
    await queue.deleteOne({ _id: id });
  };

  /** Applies an abandoned intent; false when it was withdrawn instead. */
  const rollForward = async (intent: Intent): Promise<boolean> => {
    const apply = appliers[intent.kind];
    if (!apply) throw new Error(`No applier for intent kind "${intent.kind}"`);
    try {
      await apply(intent);
      await collection.updateOne({ _id: intent._id }, { $set: { status: "applied" } });
      log.warn({ intent: intent._id }, "rolled forward a pending change left by an interrupted writer");
      return true;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await withdraw(intent._id);
      log.warn({ intent: intent._id, reason: error.message }, "withdrew a pending change that cannot apply");
      return false;
    }
  };

  const relayOnce = async (): Promise<number> => {
    let published = 0;
    const stale = Date.now() - staleMs;
    for (;;) {
      const entries = await queue.find({}).sort({ createdAt: 1 }).limit(500).toArray();
      let progressed = 0;
      for (const entry of entries) {
        const intent = await collection.findOne({ _id: entry._id });
        if (!intent) {
          // A writer that crashed before recording its claim: nothing to publish.
          if (entry.createdAt.getTime() < stale) await queue.deleteOne({ _id: entry._id });
          continue;
        }
        if (intent.status === "pending") {
          if (intent.createdAt.getTime() >= stale) continue; // its writer is still at work
          if (!(await rollForward(intent))) continue;
        }
        await publish(intent);
        published += intent.events.length;
        progressed += 1;
      }
      if (entries.length < 500 || progressed === 0) break;
    }
    if (Date.now() - lastPrune > 60_000) {
      lastPrune = Date.now();
      await collection.deleteMany({
        status: "published",
        publishedAt: { $lt: new Date(Date.now() - claimRetentionMs) },
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
      // Queue entry first: a claim never exists without the entry that gets it rolled forward.
      try {
        await queue.insertOne({ _id: intent._id, createdAt: intent.createdAt });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
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
        // Withdraw: the change did not happen, so neither may its events. If this fails too, the
        // relay's roll-forward meets the same refusal and withdraws it then.
        await withdraw(intent._id).catch(() => undefined);
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
