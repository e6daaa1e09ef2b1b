import type { Collection, Document, Filter } from "mongodb";

/**
 * Reads and deletes addressed by `_id` alone. FerretDB's SQLite backend (development and CI) runs
 * only `{_id: <scalar>}` without reading the whole collection — `{_id: {$in: [...]}}` is a full
 * scan there — so a known set of ids is read as point reads with bounded concurrency, and deleted
 * with one bulk command of single-id deletes. On MongoDB both are index lookups.
 */
export async function findByIds<T extends { _id: string }>(
  collection: Collection<T>,
  ids: readonly string[],
  options: { projection?: Document; concurrency?: number } = {},
): Promise<T[]> {
  const unique = [...new Set(ids)];
  const found: T[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < unique.length; i = next++) {
      const doc = await collection.findOne({ _id: unique[i] } as Filter<T>, {
        ...(options.projection ? { projection: options.projection } : {}),
      });
      if (doc) found.push(doc as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, unique.length) }, worker));
  return found;
}

/** Deletes documents by id in one round trip (a bulk of single-id deletes); returns how many went. */
export async function deleteByIds<T extends { _id: string }>(
  collection: Collection<T>,
  ids: readonly string[],
): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await collection.bulkWrite(
    [...new Set(ids)].map((id) => ({ deleteOne: { filter: { _id: id } as Filter<T> } })),
    { ordered: false },
  );
  return result.deletedCount;
}
