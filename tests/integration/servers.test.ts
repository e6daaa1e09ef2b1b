import test from "ava";
import { MongoClient } from "mongodb";
import { connect } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startMongo, startNats, uniqueDbName } from "../harness/servers.ts";

test("a document written to the MongoDB-compatible server reads back, and a unique index refuses a duplicate", async (t) => {
  await using mongo = await startMongo();
  const client = new MongoClient(mongo.url, { retryWrites: false });
  try {
    const items = client.db(uniqueDbName()).collection<{ _id: string; key: string }>("items");
    await items.createIndex({ key: 1 }, { unique: true });
    await items.insertOne({ _id: "a", key: "k1" });
    t.deepEqual(await items.findOne({ _id: "a" }), { _id: "a", key: "k1" });
    const error = await t.throwsAsync(items.insertOne({ _id: "b", key: "k1" }));
    t.is((error as { code?: number }).code, 11000);
  } finally {
    await client.close();
  }
});

test("a JetStream message is deduplicated by id and consumed once with an explicit ack", async (t) => {
  await using nats = await startNats();
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "T", subjects: ["t.>"] });
    const js = jetstream(nc);
    const first = await js.publish("t.x", "hello", { msgID: "m1" });
    const again = await js.publish("t.x", "hello", { msgID: "m1" });
    t.false(first.duplicate);
    t.true(again.duplicate);
    await jsm.consumers.add("T", { durable_name: "c", ack_policy: AckPolicy.Explicit });
    const consumer = await js.consumers.get("T", "c");
    const msg = await consumer.next({ expires: 2000 });
    t.is(msg?.string(), "hello");
    msg?.ack();
    t.is(await consumer.next({ expires: 1000 }), null);
  } finally {
    await nc.close();
  }
});
