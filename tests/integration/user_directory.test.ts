import test from "ava";
import { MongoClient, type Db } from "mongodb";
import { createDirectory, type UserDirChange } from "../../services/identity/users/directory/mod.ts";
import { fromRecord, USERS, type UserRecord } from "../../services/identity/users/record.ts";
import { startMongo, uniqueDbName, type TestServer } from "../harness/servers.ts";

let mongo: TestServer;
let client: MongoClient;

test.before(async () => {
  mongo = await startMongo();
  client = new MongoClient(mongo.url, { retryWrites: false });
  await client.connect();
});
test.after.always(async () => {
  await client?.close();
  await mongo?.[Symbol.asyncDispose]();
});

const user = (n: number, version = 1): UserRecord => ({
  _id: `u${String(n).padStart(5, "0")}`,
  tenantId: "t1",
  userName: `user${n}@acme.com`,
  userNameLower: `user${n}@acme.com`,
  externalIdKey: `none:${n}`,
  active: true,
  emails: [],
  phoneNumbers: [],
  workingDays: [],
  created: new Date(1_000_000 + n),
  lastModified: new Date(1_000_000 + n),
  version,
});

/** The change a user.created/updated event carries for this user. */
const upsert = (u: UserRecord): UserDirChange => ({
  kind: "upsert",
  key: [u.created.getTime(), u._id],
  version: u.version,
  user: fromRecord(u),
});

const names = async (db: Db, offset: number, limit: number) => {
  const listed = await createDirectory(db).read("t1", offset, limit);
  return { names: listed?.users.map((u) => u.userName), total: listed?.total };
};

test("a directory built from the users collection lists them in creation order, page by page", async (t) => {
  const db = client.db(uniqueDbName());
  await db.collection<UserRecord>(USERS).insertMany(Array.from({ length: 250 }, (_, i) => user(249 - i)));
  const directory = createDirectory(db);
  t.is(await directory.read("t1", 0, 10), undefined, "no directory before it is built");
  await directory.apply("t1", []);
  const window = await names(db, 95, 10);
  t.is(window.total, 250);
  t.deepEqual(
    window.names,
    Array.from({ length: 10 }, (_, i) => `user${95 + i}@acme.com`),
    "a window across a page boundary",
  );
  t.deepEqual((await names(db, 245, 100)).names?.length, 5);
  t.deepEqual((await names(db, 250, 100)).names, []);
});

test("changes apply in any order and survive redelivery; deletions leave the list", async (t) => {
  const db = client.db(uniqueDbName());
  const directory = createDirectory(db);
  await directory.init("t1");
  t.deepEqual(await names(db, 0, 10), { names: [], total: 0 });
  // Created out of order, in batches, with one page splitting as it fills.
  const order = Array.from({ length: 450 }, (_, i) => (i * 7919) % 450);
  for (let i = 0; i < order.length; i += 90) {
    await directory.apply(
      "t1",
      order.slice(i, i + 90).map((n) => upsert(user(n))),
    );
  }
  const all = await names(db, 0, 1000);
  t.is(all.total, 450);
  t.deepEqual(
    all.names,
    Array.from({ length: 450 }, (_, n) => `user${n}@acme.com`),
  );
  // An update, the same update again, and an older version delivered late.
  await directory.apply("t1", [
    upsert({ ...user(7, 3), displayName: "Seven" }),
    upsert({ ...user(7, 3), displayName: "Seven" }),
    upsert({ ...user(7, 2), displayName: "stale" }),
  ]);
  t.is((await createDirectory(db).read("t1", 7, 1))?.users[0]?.displayName, "Seven");
  // A deletion, then the user's creation delivered again: the user stays deleted.
  await directory.apply("t1", [
    { kind: "delete", key: [user(8).created.getTime(), user(8)._id], version: 2 },
  ]);
  await directory.apply("t1", [upsert(user(8, 1))]);
  const after = await names(db, 6, 3);
  t.is(after.total, 449);
  t.deepEqual(after.names, ["user6@acme.com", "user7@acme.com", "user9@acme.com"]);
});

test("a reader holding an older header still finds its pages, which are collected later", async (t) => {
  const db = client.db(uniqueDbName());
  const directory = createDirectory(db);
  await directory.init("t1");
  await directory.apply("t1", [upsert(user(1))]);
  const before = await db.collection("user_directory_pages").countDocuments({});
  await directory.apply("t1", [upsert(user(2))]);
  t.is(
    await db.collection("user_directory_pages").countDocuments({}),
    before + 1,
    "the replaced page is kept for readers in flight",
  );
  t.deepEqual((await names(db, 0, 10)).names, ["user1@acme.com", "user2@acme.com"]);
});
