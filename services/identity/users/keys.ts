import type { Collection, Db } from "mongodb";
import { createInsertBatcher, errors, isDuplicateKey } from "../../../platform/mod.ts";
import { USERS, type UserRecord } from "./record.ts";

/**
 * Unique keys of users (userName case-insensitively, externalId exactly), one document per key
 * whose _id IS the key. Two reasons: a unique _id insert is the one concurrency guarantee FerretDB
 * gives, and `_id` equality is the only filter its SQLite backend runs without scanning the whole
 * collection, which makes Okta's `userName eq "…"` lookup one indexed read at any tenant size.
 */
export interface UserKey {
  _id: string;
  userId: string;
  tenantId: string;
  created: Date;
}

export const USER_KEYS = "user_keys";

export const userNameKey = (tenantId: string, userName: string) => `u:${tenantId}:${userName.toLowerCase()}`;
export const externalIdKeyOf = (tenantId: string, externalId: string) => `x:${tenantId}:${externalId}`;

/** A key whose owner never appeared is a crashed create; after this long it can be taken over. */
const ABANDONED_MS = 30_000;

export interface UserKeys {
  /** Claims every key for `userId`, or none (Uniqueness naming the taken one). */
  claim(tenantId: string, userId: string, keys: { key: string; what: string }[]): Promise<void>;
  release(userId: string, keys: readonly string[]): Promise<void>;
  /** The user id behind a key, if any. */
  resolve(key: string): Promise<string | undefined>;
}

export function createUserKeys(db: Db): UserKeys {
  const keys: Collection<UserKey> = db.collection(USER_KEYS);
  const users: Collection<UserRecord> = db.collection(USERS);
  // Group-committed: concurrent creates share one insert command (platform/insert_batcher.ts).
  const inserts = createInsertBatcher(keys);

  const release = async (userId: string, list: readonly string[]) => {
    for (const key of list) {
      const current = await keys.findOne({ _id: key });
      if (current?.userId === userId) await keys.deleteOne({ _id: key });
    }
  };

  const claimOne = async (tenantId: string, userId: string, key: string, what: string): Promise<void> => {
    try {
      await inserts.insert({ _id: key, userId, tenantId, created: new Date() });
      return;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const current = await keys.findOne({ _id: key });
    if (!current || current.userId === userId) return;
    const owner = await users.findOne({ _id: current.userId }, { projection: { _id: 1 } });
    if (!owner && Date.now() - current.created.getTime() > ABANDONED_MS) {
      await keys.deleteOne({ _id: key });
      return claimOne(tenantId, userId, key, what);
    }
    throw errors.uniqueness(`A user with ${what} already exists`);
  };

  return {
    async claim(tenantId, userId, list) {
      // In parallel, so a user's keys go into the same batch; all or none are kept.
      const results = await Promise.allSettled(
        list.map(({ key, what }) => claimOne(tenantId, userId, key, what)),
      );
      const failed = results.find((r) => r.status === "rejected");
      if (!failed) return;
      await release(
        userId,
        list.filter((_, i) => results[i]?.status === "fulfilled").map((c) => c.key),
      );
      throw failed.reason;
    },
    release,
    async resolve(key) {
      return (await keys.findOne({ _id: key }))?.userId;
    },
  };
}
