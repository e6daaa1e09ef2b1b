import type { Collection, Document, Filter } from "mongodb";

/**
 * How a known set of ids is read or deleted. `pointReadsOnly` comes from the connection
 * (MongoHandle): FerretDB's SQLite backend (development and CI) runs only `{_id: <scalar>}` without
 * reading the whole collection — `{_id: {$in: [...]}}` is a full scan there — so ids are read as
 * point reads with bounded concurrency and deleted with a bulk of single-id deletes; on MongoDB one
 * `$in` query or delete uses the `_id` index. The default is the strategy that is safe on both.
 */
export interface ByIdOptions {
  pointReadsOnly?: boolean;
}

export async function findByIds<T extends { _id: string }>(
  collection: Collection<T>,
  ids: readonly string[],
  options: ByIdOptions & { projection?: Document; concurrency?: number } = {},
): Promise<T[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const projection = options.projection ? { projection: options.projection } : {};
  if (options.pointReadsOnly === false) {
    return (await collection.find({ _id: { $in: unique } } as Filter<T>, projection).toArray()) as T[];
  }
  const found: T[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < unique.length; i = next++) {
      const doc = await collection.findOne({ _id: unique[i] } as Filter<T>, projection);
      if (doc) found.push(doc as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, unique.length) }, worker));
  return found;
}

/**
 * Deletes documents by id in one round trip; returns how many went. With `smallCollection` (the
 * caller knows the ids are a good share of a small collection), one `$in` delete is used even on
 * FerretDB: there every single-id delete is a transaction of its own, so one scan of a few hundred
 * documents and one transaction cost less than dozens of transactions.
 */
export async function deleteByIds<T extends { _id: string }>(
  collection: Collection<T>,
  ids: readonly string[],
  options: ByIdOptions & { smallCollection?: boolean } = {},
): Promise<number> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return 0;
  if (options.pointReadsOnly === false || options.smallCollection) {
    return (await collection.deleteMany({ _id: { $in: unique } } as Filter<T>)).deletedCount;
  }
  const result = await collection.bulkWrite(
    unique.map((id) => ({ deleteOne: { filter: { _id: id } as Filter<T> } })),
    { ordered: false },
  );
  return result.deletedCount;
}
