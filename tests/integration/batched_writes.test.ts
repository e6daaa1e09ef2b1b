import test from "ava";
import { MongoClient } from "mongodb";
import { createInsertBatcher, deleteByIds, findByIds, isDuplicateKey } from "../../platform/mod.ts";
import { startMongo, uniqueDbName, type TestServer } from "../harness/servers.ts";

let mongo: TestServer;
let client: MongoClient;
let inserts = 0;

test.before(async () => {
  mongo = await startMongo();
  client = new MongoClient(mongo.url, { retryWrites: false, monitorCommands: true });
  client.on("commandStarted", (e) => {
    if (e.commandName === "insert") inserts += 1;
  });
  await client.connect();
});
test.after.always(async () => {
  await client?.close();
  await mongo?.[Symbol.asyncDispose]();
});

type Doc = { _id: string; key: string };

test.serial(
  "concurrent inserts share commands, and each caller learns its own document's fate",
  async (t) => {
    const items = client.db(uniqueDbName()).collection<Doc>("items");
    await items.createIndex({ key: 1 }, { unique: true });
    const batcher = createInsertBatcher(items);
    inserts = 0;
    // 40 distinct documents and 10 that all claim the same unique key.
    const docs = [
      ...Array.from({ length: 40 }, (_, i) => ({ _id: `d${i}`, key: `k${i}` })),
      ...Array.from({ length: 10 }, (_, i) => ({ _id: `x${i}`, key: "taken" })),
    ];
    const results = await Promise.allSettled(docs.map((d) => batcher.insert(d)));
    const refused = results.filter((r) => r.status === "rejected");
    t.is(refused.length, 9, "one of the ten copies of the key wins");
    t.true(refused.every((r) => isDuplicateKey(r.reason)));
    t.is(await items.countDocuments({}), 41);
    t.true(inserts < 10, `50 inserts went out as ${inserts} commands`);
  },
);

test.serial("a lone insert is written without waiting for company", async (t) => {
  const items = client.db(uniqueDbName()).collection<Doc>("items");
  const batcher = createInsertBatcher(items);
  const started = performance.now();
  await batcher.insert({ _id: "alone", key: "k" });
  t.true(performance.now() - started < 1000);
  t.deepEqual(await items.findOne({ _id: "alone" }), { _id: "alone", key: "k" });
});

for (const [strategy, options] of [
  ["point reads and single-id deletes (FerretDB)", { pointReadsOnly: true }],
  ["$in queries (MongoDB)", { pointReadsOnly: false }],
  ["one $in delete for a small collection", { pointReadsOnly: true, smallCollection: true }],
] as const) {
  test.serial(`reads and deletes by id touch exactly the named documents: ${strategy}`, async (t) => {
    const items = client.db(uniqueDbName()).collection<Doc>("items");
    await items.insertMany(Array.from({ length: 30 }, (_, i) => ({ _id: `d${i}`, key: `k${i}` })));
    const found = await findByIds(items, ["d1", "d2", "d2", "missing"], {
      pointReadsOnly: options.pointReadsOnly,
    });
    t.deepEqual(found.map((d) => d._id).sort(), ["d1", "d2"]);
    t.deepEqual(await findByIds(items, [], { pointReadsOnly: options.pointReadsOnly }), []);
    t.is(await deleteByIds(items, ["d1", "d2", "missing"], options), 2);
    t.is(await deleteByIds(items, [], options), 0);
    t.is(await items.countDocuments({}), 28);
    t.is(await items.findOne({ _id: "d1" }), null);
  });
}
