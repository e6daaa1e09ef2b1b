import {
  MongoBulkWriteError,
  type Collection,
  type Document,
  type OptionalUnlessRequiredId,
  type WriteError,
} from "mongodb";

/** One document of a batch was refused by a unique index (code 11000, like the driver's errors). */
export class DuplicateKeyError extends Error {
  override name = "DuplicateKeyError";
  readonly code = 11000;
}

/**
 * Group commit for single-document inserts. Inserts that arrive while a batch is being written are
 * coalesced into the next `insertMany({ordered: false})`, and each caller learns the fate of its
 * own document. Why: on FerretDB/SQLite every command is a transaction with its own commit, and a
 * batch of 32 documents costs about as much as one (measured: ~5,000 docs/s in batches of 32 vs
 * ~1,000/s one by one, docs/PERFORMANCE.md). When idle, a lone insert waits one `setImmediate`.
 * Semantics are those of `insertOne`: resolved once stored, rejected with {@link DuplicateKeyError}
 * when a unique index refuses it, or with the command's error for the whole batch.
 */
export interface InsertBatcher<T> {
  insert(doc: T): Promise<void>;
}

interface Waiting<T> {
  doc: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export function createInsertBatcher<T extends Document>(
  collection: Collection<T>,
  options: { maxBatch?: number } = {},
): InsertBatcher<T> {
  const maxBatch = options.maxBatch ?? 256;
  let waiting: Waiting<T>[] = [];
  let flushing = false;

  const flush = async () => {
    flushing = true;
    while (waiting.length > 0) {
      const batch = waiting.slice(0, maxBatch);
      waiting = waiting.slice(maxBatch);
      const failed = new Map<number, unknown>();
      try {
        await collection.insertMany(
          batch.map((w) => w.doc as OptionalUnlessRequiredId<T>),
          { ordered: false },
        );
      } catch (error) {
        const reported = error instanceof MongoBulkWriteError ? error.writeErrors : undefined;
        const writeErrors: readonly WriteError[] =
          reported === undefined ? [] : Array.isArray(reported) ? reported : [reported as WriteError];
        if (writeErrors.length === 0) {
          for (const w of batch) w.reject(error);
          continue;
        }
        for (const we of writeErrors) {
          failed.set(
            we.index,
            we.code === 11000 ? new DuplicateKeyError(we.errmsg ?? "duplicate key") : new Error(we.errmsg),
          );
        }
      }
      batch.forEach((w, i) => (failed.has(i) ? w.reject(failed.get(i)) : w.resolve()));
    }
    flushing = false;
  };

  return {
    insert(doc) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ doc, resolve, reject });
        if (!flushing) {
          flushing = true;
          setImmediate(() => void flush());
        }
      });
    },
  };
}
