import test from "ava";
import { randomUUID } from "node:crypto";
import {
  connectNats,
  createLogger,
  ensureStreams,
  startConsumer,
  type InboundEvent,
  type NatsHandle,
} from "../../platform/mod.ts";
import { eventually } from "../harness/scim_client.ts";
import { startNats, type TestServer } from "../harness/servers.ts";

let server: TestServer;
let nats: NatsHandle;
const logger = createLogger("consumer-test", "silent");

test.before(async () => {
  server = await startNats();
  nats = await connectNats(server.url, { name: "consumer-test", logger });
  await ensureStreams(nats.jsm);
});
test.after.always(async () => {
  await nats?.close();
  await server?.[Symbol.asyncDispose]();
});

const publish = async (subject: string, from: number, to: number) => {
  for (let i = from; i < to; i += 1) await nats.js.publish(subject, new TextEncoder().encode(String(i)));
};

test("an exclusive consumer feeds one replica at a time, and a replica that stops hands over at once", async (t) => {
  const subject = `moodpoll.v1.test.${randomUUID().slice(0, 8)}`;
  const durable = `exclusive-${randomUUID().slice(0, 8)}`;
  const seen = { a: [] as number[], b: [] as number[] };
  const spec = (into: number[]) => ({
    durable,
    filterSubjects: [subject],
    exclusive: true,
    handle: (event: InboundEvent) => {
      into.push(Number(new TextDecoder().decode(event.data)));
      return Promise.resolve();
    },
  });
  const a = await startConsumer(nats, spec(seen.a), logger);
  const b = await startConsumer(nats, spec(seen.b), logger);
  await publish(subject, 0, 50);
  await eventually(() => Promise.resolve(seen.a.length + seen.b.length === 50 ? true : undefined), 10_000);
  const first = seen.a.length > 0 ? "a" : "b";
  t.true(seen.a.length === 0 || seen.b.length === 0, "only one replica received events");

  // The pinned replica stops (a rolling update): the other gets the next events well within the
  // 30 s a silent pin would take to expire.
  await (first === "a" ? a : b).stop();
  const handedOverAt = Date.now();
  await publish(subject, 50, 60);
  const other = first === "a" ? seen.b : seen.a;
  await eventually(
    () => Promise.resolve(other.length === 10 ? true : undefined),
    20_000,
    "the other replica",
  );
  t.true(Date.now() - handedOverAt < 15_000);
  t.deepEqual(
    [...seen.a, ...seen.b].sort((x, y) => x - y),
    Array.from({ length: 60 }, (_, i) => i),
    "each event handled once",
  );
  await (first === "a" ? b : a).stop();
});

test("a batching consumer hands over what queued during the previous batch, in stream order", async (t) => {
  const subject = `moodpoll.v1.test.${randomUUID().slice(0, 8)}`;
  const batches: number[][] = [];
  const running = await startConsumer(
    nats,
    {
      durable: `batch-${randomUUID().slice(0, 8)}`,
      filterSubjects: [subject],
      // A batch of one goes through `handle`, which must have the same effect.
      handle: async (event) => {
        batches.push([Number(new TextDecoder().decode(event.data))]);
        await new Promise((resolve) => setTimeout(resolve, 50));
      },
      handleBatch: async (events) => {
        batches.push(events.map((e) => Number(new TextDecoder().decode(e.data))));
        await new Promise((resolve) => setTimeout(resolve, 50));
      },
    },
    logger,
  );
  await publish(subject, 0, 200);
  await eventually(() => Promise.resolve(batches.flat().length === 200 ? true : undefined), 10_000);
  t.deepEqual(
    batches.flat(),
    Array.from({ length: 200 }, (_, i) => i),
  );
  t.true(batches.length < 200, `200 events came in ${batches.length} batches`);
  await running.stop();
});
