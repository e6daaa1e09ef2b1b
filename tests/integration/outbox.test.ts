import test from "ava";
import { MongoClient, type Db } from "mongodb";
import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import {
  connectNats,
  createLogger,
  createOutbox,
  ensureStreams,
  errors,
  EVENT_STREAM,
  type Applier,
  type NatsHandle,
} from "../../platform/mod.ts";
import { startMongo, startNats, uniqueDbName, type TestServer } from "../harness/servers.ts";

let mongo: TestServer;
let natsServer: TestServer;
let client: MongoClient;
let nats: NatsHandle;
const logger = createLogger("outbox-test", "silent");

test.before(async () => {
  [mongo, natsServer] = await Promise.all([startMongo(), startNats()]);
  client = new MongoClient(mongo.url, { retryWrites: false });
  await client.connect();
  nats = await connectNats(natsServer.url, { name: "outbox-test", logger });
  await ensureStreams(nats.jsm);
});
test.after.always(async () => {
  await nats?.close();
  await client?.close();
  await Promise.all([mongo?.[Symbol.asyncDispose](), natsServer?.[Symbol.asyncDispose]()]);
});

/** Every message on a subject, read through a fresh consumer. */
async function messagesOn(subject: string): Promise<string[]> {
  const name = `c${Math.random().toString(36).slice(2)}`;
  await nats.jsm.consumers.add(EVENT_STREAM, {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subjects: [subject],
  });
  const consumer = await nats.js.consumers.get(EVENT_STREAM, name);
  const out: string[] = [];
  const batch = await consumer.fetch({ max_messages: 100, expires: 1000 });
  for await (const m of batch) {
    out.push(new TextDecoder().decode(m.data));
    m.ack();
  }
  await nats.jsm.consumers.delete(EVENT_STREAM, name);
  return out;
}

const things = (db: Db) => db.collection<{ _id: string; v: number; version: number }>("things");
/** A versioned aggregate, written as the services' appliers write theirs. */
const applier =
  (db: Db): Applier =>
  async (intent) => {
    const current = await things(db).findOne({ _id: intent.aggregateId });
    if (current && current.version >= intent.version) return "superseded";
    await things(db).updateOne(
      { _id: intent.aggregateId },
      { $set: { ...(intent.state as { v: number }), version: intent.version } },
      { upsert: true },
    );
    return "applied";
  };
const event = (id: string, subject: string, text: string) => ({
  id,
  subject,
  type: "test.Thing",
  payload: new TextEncoder().encode(text),
});

test("a committed change is applied and its event published once, even by two relays", async (t) => {
  const db = client.db(uniqueDbName());
  const subject = `moodpoll.v1.test.${uniqueDbName()}`;
  const a = createOutbox({ db, nats, logger, appliers: { thing: applier(db) } });
  // b treats every pending intent as abandoned, so it publishes a's change too.
  const b = createOutbox({ db, nats, logger, appliers: { thing: applier(db) }, staleMs: 0 });
  await a.commit(
    {
      kind: "thing",
      aggregateId: "t1",
      tenantId: "x",
      version: 1,
      state: { v: 1 },
      events: [event("thing:t1:1", subject, "one")],
    },
    applier(db),
  );
  t.deepEqual(await things(db).findOne({ _id: "t1" }), { _id: "t1", v: 1, version: 1 });
  // b finds the recorded change first and publishes it, then a publishes what it was handed:
  // two publications of one event, one message (JetStream dedup by id).
  t.is(await b.relayOnce(), 1);
  t.is(await a.relayOnce(), 1);
  t.deepEqual(await messagesOn(subject), ["one"]);
  t.is(await db.collection("outbox").countDocuments({}), 0, "published means cleared");
});

test("a second writer of the same version is refused, so nothing is half-applied", async (t) => {
  const db = client.db(uniqueDbName());
  const outbox = createOutbox({ db, nats, logger, appliers: {} });
  const intent = { kind: "thing", aggregateId: "t2", tenantId: "x", version: 2, state: { v: 2 }, events: [] };
  await outbox.commit(intent, applier(db));
  const error = await t.throwsAsync(outbox.commit({ ...intent, state: { v: 99 } }, applier(db)));
  t.is((error as { code?: string }).code, "precondition_failed");
  t.deepEqual(await things(db).findOne({ _id: "t2" }), { _id: "t2", v: 2, version: 2 });
});

test("a writer that read an old version is refused even after the first claim was published and cleared", async (t) => {
  const db = client.db(uniqueDbName());
  const subject = `moodpoll.v1.test.${uniqueDbName()}`;
  const outbox = createOutbox({ db, nats, logger, appliers: {} });
  const intent = (v: number) => ({
    kind: "thing",
    aggregateId: "t5",
    tenantId: "x",
    version: 2,
    state: { v },
    events: [event(`thing:t5:2:${v}`, subject, `v=${v}`)],
  });
  await outbox.commit(intent(2), applier(db));
  await outbox.relayOnce();
  t.is(await db.collection("outbox").countDocuments({}), 0, "the first claim is gone");
  const error = await t.throwsAsync(outbox.commit(intent(99), applier(db)));
  t.is((error as { code?: string }).code, "precondition_failed");
  t.deepEqual(await things(db).findOne({ _id: "t5" }), { _id: "t5", v: 2, version: 2 });
  await outbox.relayOnce();
  t.deepEqual(await messagesOn(subject), ["v=2"], "the refused change published nothing");
  t.is(await db.collection("outbox").countDocuments({}), 0, "and was withdrawn");
});

test("a writer that stalled while a relay rolled its change forward is told it succeeded", async (t) => {
  const db = client.db(uniqueDbName());
  const subject = `moodpoll.v1.test.${uniqueDbName()}`;
  const writer = createOutbox({ db, nats, logger, appliers: {} });
  const relay = createOutbox({ db, nats, logger, appliers: { thing: applier(db) }, staleMs: 0 });
  await writer.commit(
    {
      kind: "thing",
      aggregateId: "t6",
      tenantId: "x",
      version: 1,
      state: { v: 6 },
      events: [event("thing:t6:1", subject, "six")],
    },
    async (intent, options) => {
      // The writer stalls between recording and applying; meanwhile the relay finishes the change.
      await relay.relayOnce();
      return applier(db)(intent, options);
    },
  );
  t.deepEqual(await things(db).findOne({ _id: "t6" }), { _id: "t6", v: 6, version: 1 });
  await writer.relayOnce();
  t.deepEqual(await messagesOn(subject), ["six"]);
});

test("a refused change is withdrawn with its events", async (t) => {
  const db = client.db(uniqueDbName());
  const subject = `moodpoll.v1.test.${uniqueDbName()}`;
  const outbox = createOutbox({ db, nats, logger, appliers: {} });
  await t.throwsAsync(
    outbox.commit(
      {
        kind: "thing",
        aggregateId: "t3",
        tenantId: "x",
        version: 1,
        state: { v: 1 },
        events: [event("e3", subject, "never")],
      },
      () => Promise.reject(errors.uniqueness("taken")),
    ),
  );
  await outbox.relayOnce();
  t.is(await db.collection("outbox").countDocuments({}), 0);
  t.deepEqual(await messagesOn(subject), []);
});

test("a change recorded by a writer that crashed before applying it is rolled forward and published", async (t) => {
  const db = client.db(uniqueDbName());
  const subject = `moodpoll.v1.test.${uniqueDbName()}`;
  // What a crash right after recording leaves behind: a pending intent, nothing applied.
  await db.collection("outbox").insertOne({
    _id: "thing:t4:1" as never,
    kind: "thing",
    aggregateId: "t4",
    tenantId: "x",
    version: 1,
    state: { v: 4 },
    events: [event("thing:t4:1:e", subject, "rolled forward")],
    status: "pending",
    createdAt: new Date(Date.now() - 60_000),
  });
  const outbox = createOutbox({ db, nats, logger, appliers: { thing: applier(db) }, staleMs: 1000 });
  await outbox.relayOnce();
  t.deepEqual(await things(db).findOne({ _id: "t4" }), { _id: "t4", v: 4, version: 1 });
  t.deepEqual(await messagesOn(subject), ["rolled forward"]);
  t.is(await db.collection("outbox").countDocuments({}), 0);
});
