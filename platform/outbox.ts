import { headers } from "@nats-io/transport-node";
import type { Collection, Db, IndexDescription } from "mongodb";
import { AppError, errors } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { isDuplicateKey } from "./mongo.ts";
import { createInsertBatcher } from "./insert_batcher.ts";
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
  /** "pending" while its writer is at work; "applied" once a relay rolled it forward. */
  status: "pending" | "applied";
  createdAt: Date;
}

/**
 * Applies an intent's state to the aggregate's collection. Must be idempotent (it may run twice)
 * and throw an {@link AppError} when the change can never apply (e.g. a unique index refuses it).
 */
export type Applier = (intent: Intent) => Promise<void>;

export const OUTBOX_COLLECTION = "outbox";
/** Ids of intents not yet published: small, so the relay never scans the claims it keeps. */
export const OUTBOX_QUEUE_COLLECTION = "outbox_queue";
export const outboxIndexes: IndexDescription[] = [{ key: { createdAt: 1 }, name: "createdAt" }];
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

/**
 * Creates the outbox and its relay for one service.
 *
 * Writes on the hot path are inserts only, group-committed (platform/insert_batcher.ts): the queue
 * entry, then the intent. A queue entry that exists means "not yet published"; the relay deletes
 * entries once JetStream has acknowledged every event. Intents committed by this process are handed
 * to its relay in memory and published at once; the relay's queue scan finds the rest (another
 * replica's, or a crashed writer's once older than `staleMs`, which it rolls forward first).
 */
export function createOutbox(options: OutboxOptions): Outbox {
  const { db, nats, logger, appliers } = options;
  const pollMs = options.pollMs ?? 1000;
  const staleMs = options.staleMs ?? 10_000;
  const claimRetentionMs = options.claimRetentionMs ?? 10 * 60_000;
  const collection: Collection<Intent> = db.collection(OUTBOX_COLLECTION);
  const queue: Collection<QueueEntry> = db.collection(OUTBOX_QUEUE_COLLECTION);
  const queueInserts = createInsertBatcher(queue);
  const intentInserts = createInsertBatcher(collection);
  const log = logger.child({ component: "outbox" });
  /** Intents committed here, waiting for this relay (keyed by _id). */
  const handedOver = new Map<string, Intent>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = true;
  let wake = false;
  let lastScan = 0;
  let lastPrune = Date.now();

  const publishOne = async (intent: Intent) => {
    for (const event of intent.events) {
      const h = headers();
      h.set("Moodpoll-Event-Type", event.type);
      h.set("Moodpoll-Tenant-Id", intent.tenantId);
      const payload = event.payload instanceof Uint8Array ? event.payload : event.payload.buffer;
      await nats.js.publish(event.subject, payload, { msgID: event.id, headers: h, timeout: 5000 });
    }
  };

  /**
   * Publishes intents, in version order per aggregate (a consumer sees v7 before v8) and in
   * parallel across aggregates, then drops their queue entries in one command. Returns the ids
   * whose events all reached JetStream, and the first failure if some did not.
   */
  const publish = async (intents: Intent[]): Promise<{ done: string[]; failure?: Error }> => {
    const byAggregate = new Map<string, Intent[]>();
    for (const intent of intents) {
      const key = `${intent.kind}:${intent.aggregateId}`;
      byAggregate.set(key, [...(byAggregate.get(key) ?? []), intent]);
    }
    const done: string[] = [];
    let failure: Error | undefined;
    await Promise.all(
      [...byAggregate.values()].map(async (group) => {
        for (const intent of group.sort((a, b) => a.version - b.version)) {
          try {
            await publishOne(intent);
            done.push(intent._id);
          } catch (error) {
            failure ??= error instanceof Error ? error : new Error(String(error));
            return; // later versions of this aggregate wait for the next pass
          }
        }
      }),
    );
    // A small collection (only what is unpublished), so one command with $in is cheap everywhere.
    if (done.length > 0) await queue.deleteMany({ _id: { $in: done } });
    return failure === undefined ? { done } : { done, failure };
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

  /** Queue entries this process was not handed: other replicas' (once stale) and crashed writers'. */
  const scanQueue = async (): Promise<Intent[]> => {
    const stale = Date.now() - staleMs;
    const ready: Intent[] = [];
    const entries = await queue.find({}).sort({ createdAt: 1 }).limit(500).toArray();
    for (const entry of entries) {
      if (handedOver.has(entry._id)) continue;
      const intent = await collection.findOne({ _id: entry._id });
      if (!intent) {
        // A writer that crashed before recording its claim (or a withdrawn one): nothing to publish.
        if (entry.createdAt.getTime() < stale) await queue.deleteOne({ _id: entry._id });
        continue;
      }
      if (intent.status === "pending") {
        if (intent.createdAt.getTime() >= stale) continue; // its writer is still at work
        if (!(await rollForward(intent))) continue;
      }
      ready.push(intent);
    }
    return ready;
  };

  /** Claims older than the retention, except those still queued (unpublished), are dropped. */
  const prune = async () => {
    const queued = (await queue.find({}, { projection: { _id: 1 } }).toArray()).map((q) => q._id);
    await collection.deleteMany({
      createdAt: { $lt: new Date(Date.now() - claimRetentionMs) },
      ...(queued.length > 0 ? { _id: { $nin: queued } } : {}),
    });
  };

  /** Publishes what this process committed; on failure the rest stays handed over for the next pass. */
  const publishHandedOver = async (): Promise<number> => {
    let published = 0;
    while (handedOver.size > 0) {
      const local = [...handedOver.values()].slice(0, 500);
      const { done, failure } = await publish(local);
      for (const id of done) {
        published += handedOver.get(id)?.events.length ?? 0;
        handedOver.delete(id);
      }
      if (failure !== undefined) throw failure;
    }
    return published;
  };

  /** Publishes what the queue holds that this process was not handed (or could not publish). */
  const publishQueued = async (): Promise<number> => {
    let published = 0;
    for (;;) {
      const found = await scanQueue();
      if (found.length === 0) break;
      const { done, failure } = await publish(found);
      const ok = new Set(done);
      for (const i of found) if (ok.has(i._id)) published += i.events.length;
      if (failure !== undefined) throw failure;
      if (found.length < 500) break;
    }
    return published;
  };

  const pass = async (scan: boolean): Promise<number> => {
    let published = await publishHandedOver();
    if (scan) {
      lastScan = Date.now();
      published += await publishQueued();
    }
    if (Date.now() - lastPrune > 60_000) {
      lastPrune = Date.now();
      await prune();
    }
    return published;
  };

  const relayOnce = () => pass(true);

  const tick = () => {
    if (stopped) return;
    wake = false;
    running = pass(Date.now() - lastScan >= pollMs)
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
        await queueInserts.insert({ _id: intent._id, createdAt: intent.createdAt });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      try {
        await intentInserts.insert(intent);
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
      handedOver.set(intent._id, intent);
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
      // Whatever is still handed over stays queued: the next relay (here or elsewhere) publishes it.
    },
    relayOnce,
  };
}
