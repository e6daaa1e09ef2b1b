import { headers } from "@nats-io/transport-node";
import type { Collection, Db, IndexDescription } from "mongodb";
import { AppError, errors } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { deleteByIds } from "./by_id.ts";
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
 * the commit point and the optimistic lock at once: while it exists, no other writer can record
 * version N. Once recorded, the change is rolled forward (applied, then its events published) even
 * after a crash, which is how a state change and its events are "recorded together" without
 * transactions. An intent lives only until its events are published.
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
 * Applies an intent's state to the aggregate's collection. Idempotent: it may run twice (a writer,
 * then a relay that rolls the intent forward after a crash: `rollForward`, where what the crash
 * left unfinished must be finished). Answers "superseded" when the stored aggregate is already at
 * or past the intent's version, and throws an {@link AppError} when the change can never apply
 * (e.g. a unique index refuses it), which withdraws the intent.
 */
export type Applier = (intent: Intent, options: { rollForward: boolean }) => Promise<ApplyResult>;
export type ApplyResult = "applied" | "superseded";

/** The applier of intents that only carry events (no aggregate state to write). */
export const eventsOnly: Applier = () => Promise.resolve("applied");

export const OUTBOX_COLLECTION = "outbox";
export const outboxIndexes: IndexDescription[] = [{ key: { createdAt: 1 }, name: "createdAt" }];

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
  /** The connection's query capability (MongoHandle.pointReadsOnly); decides how intents are deleted. */
  pointReadsOnly?: boolean;
}

/**
 * Creates the outbox and its relay for one service.
 *
 * The hot path is one group-committed insert (platform/insert_batcher.ts) of the intent, the apply,
 * and a hand-over in memory to this process's relay, which publishes at once and then deletes the
 * intents whose events JetStream acknowledged (by _id, one command). The collection therefore
 * holds only changes in flight, and the relay's periodic scan of it finds the rest cheaply:
 * another replica's intents or a crashed writer's, once older than `staleMs`, rolled forward first.
 */
export function createOutbox(options: OutboxOptions): Outbox {
  const { db, nats, logger, appliers } = options;
  const pollMs = options.pollMs ?? 1000;
  const staleMs = options.staleMs ?? 10_000;
  const collection: Collection<Intent> = db.collection(OUTBOX_COLLECTION);
  const intentInserts = createInsertBatcher(collection);
  const log = logger.child({ component: "outbox" });
  /** Intents committed here, waiting for this relay (keyed by _id). */
  const handedOver = new Map<string, Intent>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = true;
  let wake = false;
  let lastScan = 0;
  /** How many intents the last scan found (exact below its limit): the collection's size, roughly. */
  let lastScanSize = Number.POSITIVE_INFINITY;

  /**
   * Publishes an intent's events pipelined: sent in order on the one connection (so stored in
   * order) without waiting for each acknowledgement. If any is not acknowledged, the intent fails
   * as a whole and is published again later (the acknowledged ones are then deduplicated).
   */
  const publishOne = async (intent: Intent) => {
    await Promise.all(
      intent.events.map((event) => {
        const h = headers();
        h.set("Moodpoll-Event-Type", event.type);
        h.set("Moodpoll-Tenant-Id", intent.tenantId);
        const payload = event.payload instanceof Uint8Array ? event.payload : event.payload.buffer;
        return nats.js.publish(event.subject, payload, { msgID: event.id, headers: h, timeout: 5000 });
      }),
    );
  };

  /**
   * Publishes intents, in version order per aggregate (a consumer sees v7 before v8) and in
   * parallel across aggregates, then deletes them. Returns the ids whose events all reached
   * JetStream, and the first failure if some did not.
   */
  const publish = async (intents: Intent[]): Promise<{ done: string[]; failure?: Error }> => {
    const byAggregate = Map.groupBy(intents, (intent) => `${intent.kind}:${intent.aggregateId}`);
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
    await deleteByIds(collection, done, {
      pointReadsOnly: options.pointReadsOnly ?? true,
      smallCollection: 3 * done.length >= Math.max(lastScanSize, handedOver.size),
    });
    return failure === undefined ? { done } : { done, failure };
  };

  /** Applies an abandoned intent; false when it was withdrawn instead. */
  const rollForward = async (intent: Intent): Promise<boolean> => {
    const apply = appliers[intent.kind];
    if (!apply) throw new Error(`No applier for intent kind "${intent.kind}"`);
    try {
      await apply(intent, { rollForward: true }); // "superseded" here means done before the crash
      await collection.updateOne({ _id: intent._id }, { $set: { status: "applied" } });
      log.warn({ intent: intent._id }, "rolled forward a pending change left by an interrupted writer");
      return true;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await collection.deleteOne({ _id: intent._id });
      log.warn({ intent: intent._id, reason: error.message }, "withdrew a pending change that cannot apply");
      return false;
    }
  };

  /** Intents this process was not handed: other replicas' (once stale) and crashed writers'. */
  const scan = async (): Promise<Intent[]> => {
    const stale = Date.now() - staleMs;
    const ready: Intent[] = [];
    const found = await collection.find({}).sort({ createdAt: 1 }).limit(500).toArray();
    lastScanSize = found.length < 500 ? found.length : Number.POSITIVE_INFINITY;
    for (const intent of found) {
      if (handedOver.has(intent._id)) continue;
      if (intent.status === "pending") {
        if (intent.createdAt.getTime() >= stale) continue; // its writer is still at work
        if (!(await rollForward(intent))) continue;
      }
      ready.push(intent);
    }
    return ready;
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

  /** Publishes what the collection holds that this process was not handed (or could not publish). */
  const publishFound = async (): Promise<number> => {
    let published = 0;
    for (;;) {
      const found = await scan();
      if (found.length === 0) break;
      const { done, failure } = await publish(found);
      const ok = new Set(done);
      for (const i of found) if (ok.has(i._id)) published += i.events.length;
      if (failure !== undefined) throw failure;
      if (found.length < 500) break;
    }
    return published;
  };

  const pass = async (withScan: boolean): Promise<number> => {
    let published = await publishHandedOver();
    if (withScan) {
      lastScan = Date.now();
      published += await publishFound();
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
      try {
        await intentInserts.insert(intent);
      } catch (error) {
        if (isDuplicateKey(error))
          throw errors.preconditionFailed("The resource was modified concurrently; retry");
        throw error;
      }
      let result: ApplyResult;
      try {
        result = await apply(intent, { rollForward: false });
      } catch (error) {
        // Withdraw: the change did not happen, so neither may its events. If this fails too, the
        // relay's roll-forward meets the same refusal and withdraws it then.
        await collection.deleteOne({ _id: intent._id }).catch(() => undefined);
        throw error;
      }
      if (result === "superseded") {
        // The stored aggregate is at or past this version. Either a relay rolled this very intent
        // forward while the writer stalled (the intent is gone or marked applied: the change is in),
        // or the writer read an old state and its claim came after the previous holder of this
        // version had published and cleared its own: refused, so nothing newer is overwritten.
        const own = await collection.findOne({ _id: intent._id }, { projection: { status: 1 } });
        if (!own || own.status === "applied") return;
        await collection.deleteOne({ _id: intent._id }).catch(() => undefined);
        throw errors.preconditionFailed("The resource was modified concurrently; retry");
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
      // Whatever is still handed over stays recorded: the next relay (here or elsewhere) publishes it.
    },
    relayOnce,
  };
}
