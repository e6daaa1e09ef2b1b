import test from "ava";
import { headers } from "@nats-io/transport-node";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { MemberOrphanedSchema, TeamDeletedSchema } from "../../gen/moodpoll/events/v1/events_pb.ts";
import { waitForHttp } from "../../deploy/local/processes.ts";
import { createTenant, eventually, oktaUser, scimClient, type ScimClient } from "../harness/scim_client.ts";
import { startTestStack, type TestStack } from "../harness/stack.ts";

const MOODPOLL_USER = "urn:moodpoll:params:scim:schemas:extension:2.0:User";
let stack: TestStack;
test.before(async () => {
  stack = await startTestStack({ env: { RECONCILE_INTERVAL_MS: "3000" } });
});
test.after.always(async () => {
  await stack?.[Symbol.asyncDispose]();
});

const tenantClient = async (name: string) => {
  const tenant = await createTenant(stack.services.identityAddress, name);
  return { tenant, scim: scimClient(stack.scimUrl, tenant.token) };
};

const defaultTeam = async (scim: ScimClient) =>
  eventually(
    async () => {
      const list = await scim.get("/Groups?excludedAttributes=members");
      return list.body.Resources?.find(
        (g) =>
          (g["urn:moodpoll:params:scim:schemas:extension:2.0:Group"] as { isDefault: boolean }).isDefault,
      );
    },
    60_000,
    "the default team",
  );

const groupIds = async (scim: ScimClient, userId: string) =>
  ((await scim.get(`/Users/${userId}`)).body["groups"] as { value: string }[]).map((g) => g.value).sort();

async function createUsers(
  scim: ScimClient,
  prefix: string,
  n: number,
  extra: Record<string, unknown> = {},
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, n - i) }, (_, j) =>
        scim.post("/Users", oktaUser(`${prefix}${i + j}@acme.com`, extra)),
      ),
    );
    for (const r of batch) ids.push(String(r.body["id"]));
  }
  return ids;
}

const addMembers = (scim: ScimClient, groupId: string, ids: string[]) =>
  scim.patch(`/Groups/${groupId}`, {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    Operations: [{ op: "add", path: "members", value: ids.map((value) => ({ value })) }],
  });

test.serial(
  "every tenant has one default team that holds exactly the users who are in no other team",
  async (t) => {
    const { scim } = await tenantClient("default team");
    const def = await defaultTeam(scim);
    t.is(def["displayName"], "Default team");
    const [ann] = await createUsers(scim, "ann", 1);
    await eventually(
      async () => ((await groupIds(scim, ann!)).includes(String(def["id"])) ? true : undefined),
      15_000,
      "new user in default team",
    );

    const team = await scim.post("/Groups", { displayName: "Blue", members: [{ value: ann }] });
    t.is(team.status, 201);
    t.deepEqual(
      await groupIds(scim, ann!),
      [String(team.body["id"])],
      "joining a team leaves the default team",
    );
    await scim.patch(`/Groups/${String(team.body["id"])}`, {
      Operations: [{ op: "remove", path: `members[value eq "${ann}"]` }],
    });
    t.deepEqual(
      await groupIds(scim, ann!),
      [String(def["id"])],
      "leaving the last team returns to the default team",
    );

    const del = await scim.delete(`/Groups/${String(def["id"])}`);
    t.is(del.status, 400);
    t.is(del.body["scimType"], "mutability");
    const edit = await addMembers(scim, String(def["id"]), [ann!]);
    t.is(edit.status, 400);
    t.is((await scim.get(`/Groups/${String(def["id"])}`)).status, 200);
  },
);

test.serial(
  "deleting a team answers at once; members left with no team are re-homed, disabled and lose their working days",
  async (t) => {
    const { scim } = await tenantClient("deletion");
    const def = await defaultTeam(scim);
    const days = { [MOODPOLL_USER]: { workingDays: ["MON", "TUE", "WED"] } };
    const members = await createUsers(scim, "m", 300, days);
    const doomed = await scim.post("/Groups", { displayName: "Doomed" });
    const keeper = await scim.post("/Groups", { displayName: "Keeper" });
    t.is((await addMembers(scim, String(doomed.body["id"]), members)).status, 204);
    const kept = members.slice(0, 100);
    t.is((await addMembers(scim, String(keeper.body["id"]), kept)).status, 204);

    const started = performance.now();
    const deleted = await scim.delete(`/Groups/${String(doomed.body["id"])}`);
    const ms = performance.now() - started;
    t.is(deleted.status, 204);
    t.true(ms < 2000, `DELETE answered in ${Math.round(ms)} ms`);
    t.is((await scim.get(`/Groups/${String(doomed.body["id"])}`)).status, 404);

    const orphans = members.slice(100);
    await eventually(
      async () => {
        const group = await scim.get(`/Groups/${String(def["id"])}`);
        const ids = new Set((group.body["members"] as { value: string }[] | undefined)?.map((m) => m.value));
        return orphans.every((id) => ids.has(id)) ? true : undefined;
      },
      90_000,
      "orphans in the default team",
    );
    const inactive = await eventually(
      async () => {
        const r = await scim.get(`/Users?filter=${encodeURIComponent("active eq false")}&count=200`);
        return r.body["totalResults"] === 200 ? r : undefined;
      },
      90_000,
      "orphans disabled",
    );
    t.true(
      inactive.body.Resources!.every(
        (u) => (u[MOODPOLL_USER] as { workingDays: string[] }).workingDays.length === 0,
      ),
    );
    for (const id of [kept[0]!, kept[99]!]) {
      const user = await scim.get(`/Users/${id}`);
      t.true(user.body["active"]);
      t.deepEqual((user.body[MOODPOLL_USER] as { workingDays: string[] }).workingDays, ["MON", "TUE", "WED"]);
      t.deepEqual(await groupIds(scim, id), [String(keeper.body["id"])]);
    }
    t.deepEqual(await groupIds(scim, orphans[0]!), [String(def["id"])]);
  },
);

test.serial("a deletion interrupted by killing the teams service still completes", async (t) => {
  const { scim } = await tenantClient("interrupted");
  await defaultTeam(scim);
  const members = await createUsers(scim, "k", 300);
  const team = await scim.post("/Groups", { displayName: "Interrupted" });
  for (let i = 0; i < members.length; i += 200)
    await addMembers(scim, String(team.body["id"]), members.slice(i, i + 200));
  t.is((await scim.delete(`/Groups/${String(team.body["id"])}`)).status, 204);
  const teams = stack.services.processes["teams"]!;
  process.kill(teams.pid()!, "SIGKILL");
  await waitForHttp(`${stack.gatewayUrl}/readyz`, 60_000);
  const result = await eventually(
    async () => {
      const r = await scim.get(`/Users?filter=${encodeURIComponent("active eq false")}&count=1`);
      return r.body["totalResults"] === 300 ? r : undefined;
    },
    120_000,
    "all 300 members disabled after the restart",
  );
  t.is(result.body["totalResults"], 300);
});

test.serial(
  "duplicate deliveries change nothing: a re-sent team deletion and a stale orphan event",
  async (t) => {
    const { tenant, scim } = await tenantClient("duplicates");
    const def = await defaultTeam(scim);
    const [u] = await createUsers(scim, "dup", 1);
    const team = await scim.post("/Groups", { displayName: "Once", members: [{ value: u }] });
    const teamId = String(team.body["id"]);
    await scim.delete(`/Groups/${teamId}`);
    await eventually(
      async () => ((await scim.get(`/Users/${u}`)).body["active"] === false ? true : undefined),
      20_000,
      "orphan disabled",
    );
    // Okta reactivates the user; then both events arrive again (as a redelivery would bring them).
    await scim.patch(`/Users/${u}`, { Operations: [{ op: "replace", value: { active: true } }] });
    const nc = await connect({ servers: stack.nats.url });
    try {
      const js = jetstream(nc);
      const publish = async (subject: string, data: Uint8Array) => {
        const h = headers();
        h.set("Moodpoll-Tenant-Id", tenant.tenantId);
        await js.publish(subject, data, { headers: h, msgID: `test-dup-${subject}-${Date.now()}` });
      };
      const meta = (eventId: string) => ({
        eventId,
        tenantId: tenant.tenantId,
        occurredAt: timestampNow(),
        requestId: "dup",
      });
      await publish(
        "moodpoll.v1.team.deleted",
        toBinary(
          TeamDeletedSchema,
          create(TeamDeletedSchema, { meta: meta(`team:${teamId}:2:deleted`), teamId }),
        ),
      );
      await publish(
        "moodpoll.v1.team.member_orphaned",
        toBinary(
          MemberOrphanedSchema,
          create(MemberOrphanedSchema, {
            meta: meta(`orphan:${teamId}:${u}`),
            teamId,
            userId: u!,
            defaultTeamId: String(def["id"]),
          }),
        ),
      );
    } finally {
      await nc.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const user = await scim.get(`/Users/${u}`);
    t.true(user.body["active"], "a stale orphan event does not disable a reactivated user");
    t.deepEqual(await groupIds(scim, u!), [String(def["id"])]);
  },
);
