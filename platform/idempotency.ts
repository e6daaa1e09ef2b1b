import type { Db, IndexDescription } from "mongodb";
import { isDuplicateKey } from "./mongo.ts";

export const PROCESSED_EVENTS = "processed_events";
export const processedEventIndexes: IndexDescription[] = [{ key: { at: 1 }, name: "at" }];

/**
 * Runs `handle` for an event id at most once in effect: a redelivery, or a duplicate published
 * much later (after the state moved on), is skipped. The id is recorded only after the handler
 * succeeded, so a crash in between means one more run of an idempotent handler, never none.
 */
export async function handleOnce(
  db: Db,
  consumer: string,
  eventId: string,
  handle: () => Promise<void>,
): Promise<boolean> {
  const key = `${consumer}:${eventId}`;
  const processed = db.collection<{ _id: string; at: Date }>(PROCESSED_EVENTS);
  if (await processed.findOne({ _id: key }, { projection: { _id: 1 } })) return false;
  await handle();
  try {
    await processed.insertOne({ _id: key, at: new Date() });
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
  return true;
}
