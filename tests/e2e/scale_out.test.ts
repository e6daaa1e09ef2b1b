import test from "ava";
import { connect } from "@nats-io/transport-node";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { createTenant, eventually, oktaUser, scimClient } from "../harness/scim_client.ts";
import { startTestStack } from "../harness/stack.ts";

/** Every message on `subject` for one tenant, read through a fresh consumer. */
async function messages(natsUrl: string, subject: string, tenantId: string): Promise<string[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const name = `scale${Math.random().toString(36).slice(2)}`;
    await jsm.consumers.add("MOODPOLL", {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subjects: [subject],
    });
    const consumer = await jetstream(nc).consumers.get("MOODPOLL", name);
    const out: string[] = [];
    for (;;) {
      const batch = await consumer.fetch({ max_messages: 500, expires: 1000 });
      let n = 0;
      for await (const m of batch) {
        n += 1;
        m.ack();
        if (m.headers?.get("Moodpoll-Tenant-Id") === tenantId)
          out.push(m.headers.get("Nats-Msg-Id") ?? m.subject);
      }
      if (n === 0) break;
    }
    await jsm.consumers.delete("MOODPOLL", name);
    return out;
  } finally {
    await nc.close();
  }
}

test("with two identity and two teams replicas, a group deletion re-homes each orphan exactly once", async (t) => {
  await using stack = await startTestStack({ replicas: 2 });
  t.truthy(stack.services.processes["identity-2"]);
  t.truthy(stack.services.processes["teams-2"]);
  const tenant = await createTenant(stack.services.identityAddress, "scale-out");
  const scim = scimClient(stack.scimUrl, tenant.token);
  const ids: string[] = [];
  for (let i = 0; i < 60; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: 10 }, (_, j) => scim.post("/Users", oktaUser(`s${i + j}@acme.com`))),
    );
    ids.push(...batch.map((r) => String(r.body["id"])));
  }
  const doomed = await scim.post("/Groups", {
    displayName: "Doomed",
    members: ids.map((value) => ({ value })),
  });
  await scim.post("/Groups", { displayName: "Stays", members: ids.slice(0, 20).map((value) => ({ value })) });
  t.is((await scim.delete(`/Groups/${String(doomed.body["id"])}`)).status, 204);

  const orphans = ids.slice(20);
  await eventually(
    async () => {
      const r = await scim.get(`/Users?filter=${encodeURIComponent("active eq false")}&count=1`);
      return r.body["totalResults"] === orphans.length ? true : undefined;
    },
    90_000,
    "40 orphans disabled",
  );
  // Give a duplicate (if any) time to show up before counting.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const orphanEvents = await messages(stack.nats.url, "moodpoll.v1.team.member_orphaned", tenant.tenantId);
  t.is(orphanEvents.length, orphans.length, "one member_orphaned event per orphan");
  t.is(new Set(orphanEvents).size, orphans.length);
  const deactivations = await messages(stack.nats.url, "moodpoll.v1.user.deactivated", tenant.tenantId);
  t.is(deactivations.length, orphans.length, "each orphan deactivated once");
  const completed = await messages(stack.nats.url, "moodpoll.v1.team.rehoming_completed", tenant.tenantId);
  t.is(completed.length, 1, "re-homing completed once");
  const created = await messages(stack.nats.url, "moodpoll.v1.user.created", tenant.tenantId);
  t.is(created.length, ids.length, "each user.created published once despite two relays");
  const kept = await scim.get(`/Users/${ids[0]}`);
  t.true(kept.body["active"]);
});
