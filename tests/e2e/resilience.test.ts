import test from "ava";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { freePort } from "../../deploy/local/stack.ts";
import { startNats } from "../harness/servers.ts";
import { createTenant, eventually, oktaUser, scimClient } from "../harness/scim_client.ts";
import { startTestStack } from "../harness/stack.ts";

test("with NATS down, a user is still created and its event is published once NATS is back", async (t) => {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), "moodpoll-nats-"));
  await using stack = await startTestStack({ nats: { hostPort: port, dataDir } });
  const tenant = await createTenant(stack.services.identityAddress, "nats outage");
  const scim = scimClient(stack.scimUrl, tenant.token);
  const countUserEvents = async () => {
    const nc = await connect({ servers: stack.nats.url, timeout: 2000 });
    try {
      const info = await (
        await jetstreamManager(nc)
      ).streams.info("MOODPOLL", { subjects_filter: "moodpoll.v1.user.>" });
      return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    } finally {
      await nc.close();
    }
  };
  const before = await countUserEvents();

  await stack.nats.container!.stop({ timeout: 1000, remove: true });
  const created = await scim.post("/Users", oktaUser("outage@acme.com"));
  t.is(created.status, 201, "the write is acknowledged while NATS is down");
  t.is((await scim.get(`/Users/${String(created.body["id"])}`)).status, 200);
  await eventually(
    async () => ((await fetch(`${stack.gatewayUrl}/readyz`)).status === 503 ? true : undefined),
    8000,
    "readiness to report the missing dependency",
  );
  t.pass("readiness reported NATS missing");

  await using _again = await startNats({ hostPort: port, dataDir });
  const after = await eventually(
    async () => {
      const n = await countUserEvents().catch(() => before);
      return n > before ? n : undefined;
    },
    30_000,
    "the delayed user.created event",
  );
  t.is(after, before + 1);
  await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
});
