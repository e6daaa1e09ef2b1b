import { MongoClient, MongoServerError, type Db, type IndexDescription } from "mongodb";
import { redact } from "./config.ts";
import { errors } from "./errors.ts";
import { DuplicateKeyError } from "./insert_batcher.ts";
import type { Logger } from "./logger.ts";

/** The indexes a repository needs, declared beside it and created at start-up. */
export type IndexSpecs = Record<string, IndexDescription[]>;

export interface MongoHandle {
  readonly client: MongoClient;
  readonly db: Db;
  /**
   * True when the server runs nothing but `_id` equality without reading a whole collection:
   * FerretDB 1.24 on SQLite (development, CI). False on MongoDB, whose indexes serve `$in` and
   * the rest. Code that reads or deletes a known set of ids picks its strategy by it (by_id.ts).
   */
  readonly pointReadsOnly: boolean;
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Connects with the official driver and creates the declared indexes. Correctness in this project
 * rests on single-document writes and unique indexes (ARCHITECTURE.md "Storage constraints"), so
 * index creation failing is a start-up failure, not a warning.
 */
export async function connectMongo(
  url: string,
  options: { dbName: string; indexes?: IndexSpecs; logger: Logger; appName: string },
): Promise<MongoHandle> {
  const client = new MongoClient(url, {
    appName: options.appName,
    serverSelectionTimeoutMS: 10_000,
    // FerretDB rejects retryable writes (no replica set), so they are off unless the connection
    // string asks for them: MongoDB 7 replica sets in production should say `retryWrites=true`.
    ...(/[?&]retryWrites=/i.test(url) ? {} : { retryWrites: false }),
  });
  try {
    await client.connect();
  } catch (error) {
    throw errors.unavailable(`Cannot connect to MongoDB at ${redact(url)}`, error);
  }
  const db = client.db(options.dbName);
  for (const [collection, specs] of Object.entries(options.indexes ?? {}))
    await ensureIndexes(db, collection, specs);
  // FerretDB says so in buildInfo; MongoDB has no such field.
  const info = await db.admin().command({ buildInfo: 1 });
  const pointReadsOnly = typeof info["ferretdbVersion"] === "string";
  options.logger.info(
    {
      db: options.dbName,
      server: pointReadsOnly ? `FerretDB ${String(info["ferretdbVersion"])}` : info["version"],
    },
    "connected to MongoDB",
  );
  return {
    client,
    db,
    pointReadsOnly,
    async ping(timeoutMs = 1000) {
      try {
        await db.command({ ping: 1 }, { timeoutMS: timeoutMs });
        return true;
      } catch {
        return false;
      }
    },
    close: () => client.close(),
  };
}

/**
 * Turns a query the server refuses as unimplemented (FerretDB's code 238, e.g. some `$elemMatch`
 * forms) into a clear client error instead of a 500; anything else is rethrown.
 */
export function unsupportedQuery(error: unknown): never {
  const unimplemented =
    error instanceof MongoServerError && (error.code === 238 || /unknown operator/.test(error.message));
  if (unimplemented) {
    throw errors.invalidFilter(`This filter is not supported by the database: ${error.message}`);
  }
  throw error;
}

/**
 * Creates the indexes a collection lacks, one at a time. FerretDB 1.24 panics on `createIndexes`
 * when one of the named indexes already exists, so existing ones are listed and skipped.
 */
async function ensureIndexes(db: Db, collection: string, specs: IndexDescription[]): Promise<void> {
  let existing = new Set<string>();
  try {
    existing = new Set(
      (await db.collection(collection).listIndexes().toArray()).map((i: { name?: unknown }) =>
        String(i.name),
      ),
    );
  } catch {
    // The collection does not exist yet: every index is missing.
  }
  for (const spec of specs) {
    if (spec.name && existing.has(spec.name)) continue;
    await db.collection(collection).createIndexes([spec]);
  }
}

/** True for a duplicate-key error (code 11000) from MongoDB or FerretDB. */
export function isDuplicateKey(error: unknown): boolean {
  return (error instanceof MongoServerError || error instanceof DuplicateKeyError) && error.code === 11000;
}
