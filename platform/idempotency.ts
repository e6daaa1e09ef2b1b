import type { Db, IndexDescription } from "mongodb";
import { createInsertBatcher } from "./insert_batcher.ts";
import { isDuplicateKey } from "./mongo.ts";

export const PROCESSED_EVENTS = "processed_events";
export const processedEventIndexes: IndexDescription[] = [{ key: { at: 1 }, name: "at" }];

/**
 * Runs a handler for an event id at most once in effect: a redelivery, or a duplicate published
 * much later (after the state moved on), is skipped. The id is recorded only after the handler
 * succeeded, so a crash in between means one more run of an idempotent handler, never none.
 */
export interface OnceHandler {
  /** Runs `handle` unless `eventId` was handled before; false when it was skipped. */
  run(eventId: string, handle: () => Promise<void>): Promise<boolean>;
}

/** One per consumer: records go in `processed_events` under `<consumer>:<eventId>`, group-committed. */
export function createOnceHandler(db: Db, consumer: string): OnceHandler {
  const processed = db.collection<{ _id: string; at: Date }>(PROCESSED_EVENTS);
  const inserts = createInsertBatcher(processed);
  return {
    async run(eventId, handle) {
      const key = `${consumer}:${eventId}`;
      if (await processed.findOne({ _id: key }, { projection: { _id: 1 } })) return false;
      await handle();
      try {
        await inserts.insert({ _id: key, at: new Date() });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      return true;
    },
  };
}
