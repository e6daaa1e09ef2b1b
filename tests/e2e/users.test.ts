import test from "ava";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import { fromBinary } from "@bufbuild/protobuf";
import { UserChangedSchema } from "../../gen/moodpoll/events/v1/events_pb.ts";
import { TenantService } from "../../gen/moodpoll/identity/v1/identity_pb.ts";
import { createChannel } from "../../platform/mod.ts";
import { createTenant, eventually, oktaUser, scimClient } from "../harness/scim_client.ts";
import { startTestStack, type TestStack } from "../harness/stack.ts";

let stack: TestStack;
test.before(async () => {
  stack = await startTestStack();
});
test.after.always(async () => {
  await stack?.[Symbol.asyncDispose]();
});

const tenantClient = async (name: string) => {
  const tenant = await createTenant(stack.services.identityAddress, name);
  return { tenant, scim: scimClient(stack.scimUrl, tenant.token) };
};

test("20 identical POSTs in parallel create exactly one user", async (t) => {
  const { scim } = await tenantClient("race");
  const body = oktaUser("race@acme.com");
  const results = await Promise.all(Array.from({ length: 20 }, () => scim.post("/Users", body)));
  const statuses = results.map((r) => r.status).sort();
  t.deepEqual(statuses, [201, ...Array<number>(19).fill(409)]);
  t.true(results.filter((r) => r.status === 409).every((r) => r.body["scimType"] === "uniqueness"));
  const found = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "race@acme.com"')}`);
  t.is(found.body["totalResults"], 1);
});

test("tenants are isolated: foreign ids are 404, filters do not cross, the same userName may exist twice", async (t) => {
  const a = await tenantClient("tenant a");
  const b = await tenantClient("tenant b");
  const inA = await a.scim.post("/Users", oktaUser("same@acme.com"));
  const inB = await b.scim.post("/Users", oktaUser("same@acme.com"));
  t.is(inA.status, 201);
  t.is(inB.status, 201);
  t.is((await b.scim.get(`/Users/${String(inA.body["id"])}`)).status, 404);
  t.is(
    (
      await b.scim.patch(`/Users/${String(inA.body["id"])}`, {
        Operations: [{ op: "replace", value: { active: false } }],
      })
    ).status,
    404,
  );
  t.is((await b.scim.delete(`/Users/${String(inA.body["id"])}`)).status, 404);
  // The plain list follows writes through the user directory (milliseconds behind).
  const listed = await eventually(async () => {
    const r = await b.scim.get("/Users");
    return r.body["totalResults"] === 1 ? r : undefined;
  });
  t.deepEqual(
    listed.body.Resources?.map((r) => r["id"]),
    [inB.body["id"]],
  );
});

test("a revoked token and a disabled tenant are refused within 5 seconds", async (t) => {
  const { tenant, scim } = await tenantClient("revocation");
  t.is((await scim.get("/Users")).status, 200);
  const channel = createChannel(stack.services.identityAddress);
  const admin = channel.client(TenantService);
  try {
    const second = await admin.issueToken({ tenantId: tenant.tenantId });
    const other = scimClient(stack.scimUrl, second.secret);
    t.is((await other.get("/Users")).status, 200, "two tokens are active at once");
    await admin.revokeToken({ tenantId: tenant.tenantId, tokenId: tenant.tokenId });
    const revokedAt = Date.now();
    await eventually(
      async () => ((await scim.get("/Users")).status === 401 ? true : undefined),
      6000,
      "revocation",
    );
    t.true(Date.now() - revokedAt <= 5500);
    t.is((await other.get("/Users")).status, 200, "the other token still works");
    await admin.setTenantEnabled({ tenantId: tenant.tenantId, enabled: false });
    const denied = await eventually(async () => {
      const r = await other.get("/Users");
      return r.status === 401 ? r : undefined;
    }, 6000);
    t.regex(denied.headers.get("www-authenticate") ?? "", /^Bearer/);
    t.is(denied.body["status"], "401");
  } finally {
    channel.close();
  }
});

test("malformed bearer headers are 401 SCIM errors", async (t) => {
  for (const authorization of ["", "Basic abc", "Bearer", "Bearer not-a-token"]) {
    const r = await fetch(`${stack.scimUrl}/Users`, { headers: authorization ? { authorization } : {} });
    t.is(r.status, 401, authorization);
    t.is(((await r.json()) as { status: string }).status, "401");
  }
});

test("an oversized body is 413 and unsupported JSON is 400, both as SCIM errors", async (t) => {
  const { scim } = await tenantClient("limits");
  const big = await scim.post("/Users", { ...oktaUser("big@acme.com"), title: "x".repeat(2 * 1024 * 1024) });
  t.is(big.status, 413);
  t.is(big.body["status"], "413");
  const broken = await scim.request("POST", "/Users", "{nope");
  t.is(broken.status, 400);
  t.is(broken.body["scimType"], "invalidSyntax");
});

test("If-Match is honoured on PUT, PATCH and DELETE", async (t) => {
  const { scim } = await tenantClient("etag");
  const created = await scim.post("/Users", oktaUser("etag@acme.com"));
  const id = String(created.body["id"]);
  t.is(created.headers.get("etag"), 'W/"1"');
  const stale = await scim.patch(
    `/Users/${id}`,
    { Operations: [{ op: "replace", path: "title", value: "A" }] },
    { "if-match": 'W/"9"' },
  );
  t.is(stale.status, 412);
  const ok = await scim.patch(
    `/Users/${id}`,
    { Operations: [{ op: "replace", path: "title", value: "A" }] },
    { "if-match": 'W/"1"' },
  );
  t.is(ok.status, 200);
  t.is(ok.headers.get("etag"), 'W/"2"');
  t.is((await scim.put(`/Users/${id}`, ok.body, { "if-match": 'W/"1"' })).status, 412);
  t.is((await scim.delete(`/Users/${id}`, { "if-match": 'W/"1"' })).status, 412);
  t.is((await scim.delete(`/Users/${id}`, { "if-match": 'W/"2"' })).status, 204);
  t.is((await scim.get(`/Users/${id}`)).status, 404);
});

test("paging is 1-based, stable across pages, and .search, sortBy and projections work", async (t) => {
  const { scim } = await tenantClient("paging");
  for (let i = 0; i < 12; i += 1) {
    t.is(
      (
        await scim.post(
          "/Users",
          oktaUser(`user${String(i).padStart(2, "0")}@acme.com`, { title: i % 2 ? "odd" : "even" }),
        )
      ).status,
      201,
    );
  }
  // The plain list follows writes through the user directory (milliseconds behind).
  await eventually(async () =>
    (await scim.get("/Users?count=0")).body["totalResults"] === 12 ? true : undefined,
  );
  const seen: string[] = [];
  for (let start = 1; start <= 12; start += 5) {
    const page = await scim.get(`/Users?startIndex=${start}&count=5`);
    t.is(page.body["startIndex"], start);
    t.is(page.body["totalResults"], 12);
    seen.push(...(page.body.Resources ?? []).map((r) => String(r["id"])));
  }
  t.is(new Set(seen).size, 12);
  const zero = await scim.get("/Users?startIndex=0&count=-1");
  t.like(zero.body, { startIndex: 1, itemsPerPage: 0, totalResults: 12 });
  t.deepEqual(zero.body.Resources, []);
  const sorted = await scim.get("/Users?sortBy=userName&sortOrder=descending&count=2&attributes=userName");
  t.deepEqual(
    sorted.body.Resources?.map((r) => r["userName"]),
    ["user11@acme.com", "user10@acme.com"],
  );
  t.deepEqual(Object.keys(sorted.body.Resources?.[0] ?? {}).sort(), ["id", "schemas", "userName"]);
  const search = await scim.post("/Users/.search", {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
    filter: 'title eq "ODD" and userName sw "user0"',
    excludedAttributes: "groups,meta",
    count: 10,
  });
  t.is(search.body["totalResults"], 5);
  t.false("groups" in (search.body.Resources?.[0] ?? {}));
  t.false("meta" in (search.body.Resources?.[0] ?? {}));
  const byEmail = await scim.get(
    `/Users?filter=${encodeURIComponent(`emails[value co "USER03@"] and emails[type eq "work"]`)}`,
  );
  t.is(byEmail.body["totalResults"], 1);
  // Two conditions on one element need $elemMatch over documents: MongoDB runs it, FerretDB 1.24
  // does not; either way the answer is a result or a clear invalidFilter, never a 500.
  const both = await scim.get(
    `/Users?filter=${encodeURIComponent('emails[type eq "work" and value co "user03@"]')}`,
  );
  if (both.status === 200) t.is(both.body["totalResults"], 1);
  else t.like(both, { status: 400, body: { scimType: "invalidFilter" } });
  const recent = await scim.get(
    `/Users?filter=${encodeURIComponent(`meta.lastModified gt "2000-01-01T00:00:00Z" and not (title eq "odd")`)}`,
  );
  t.is(recent.body["totalResults"], 6);
});

test("user changes are published as events exactly once, with the user's state", async (t) => {
  const { tenant, scim } = await tenantClient("events");
  const created = await scim.post("/Users", oktaUser("evt@acme.com"));
  const id = String(created.body["id"]);
  await scim.patch(`/Users/${id}`, { Operations: [{ op: "replace", value: { active: false } }] });
  await scim.patch(`/Users/${id}`, { Operations: [{ op: "replace", value: { active: true } }] });
  await scim.delete(`/Users/${id}`);

  const nc = await connect({ servers: stack.nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    const name = `t${Date.now()}`;
    await jsm.consumers.add("MOODPOLL", {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subjects: ["moodpoll.v1.user.>"],
    });
    const consumer = await jetstream(nc).consumers.get("MOODPOLL", name);
    const subjects = await eventually(
      async () => {
        const mine: string[] = [];
        const batch = await consumer.fetch({ max_messages: 500, expires: 1000 });
        for await (const m of batch) {
          m.ack();
          if (m.headers?.get("Moodpoll-Tenant-Id") !== tenant.tenantId) continue;
          mine.push(m.subject);
          if (m.subject.endsWith("created")) {
            const event = fromBinary(UserChangedSchema, m.data);
            t.is(event.user?.userName, "evt@acme.com");
            t.is(event.meta?.tenantId, tenant.tenantId);
          }
        }
        return mine.length >= 6 ? mine : undefined;
      },
      15_000,
      "six user events",
    );
    t.deepEqual(subjects, [
      "moodpoll.v1.user.created",
      "moodpoll.v1.user.updated",
      "moodpoll.v1.user.deactivated",
      "moodpoll.v1.user.updated",
      "moodpoll.v1.user.reactivated",
      "moodpoll.v1.user.deleted",
    ]);
  } finally {
    await nc.close();
  }
});

test("the plain list follows creations, changes and deletions within moments, in creation order", async (t) => {
  const { scim } = await tenantClient("directory");
  const ids: string[] = [];
  for (let i = 0; i < 5; i += 1)
    ids.push(String((await scim.post("/Users", oktaUser(`d${i}@acme.com`))).body["id"]));
  const listed = (expect: (body: Record<string, unknown>) => boolean) =>
    eventually(async () => {
      const r = await scim.get("/Users?startIndex=1&count=10&attributes=displayName");
      return expect(r.body) ? r.body : undefined;
    }, 10_000);
  let body = await listed((b) => b["totalResults"] === 5);
  t.deepEqual(
    (body["Resources"] as { id: string }[]).map((r) => r.id),
    ids,
  );
  await scim.patch(`/Users/${ids[2]}`, {
    Operations: [{ op: "replace", value: { displayName: "Renamed" } }],
  });
  await scim.delete(`/Users/${ids[0]}`);
  body = await listed((b) => b["totalResults"] === 4 && JSON.stringify(b).includes("Renamed"));
  t.deepEqual(
    (body["Resources"] as { id: string; displayName: string }[]).map((r) => [r.id, r.displayName]),
    [
      [ids[1], "d1 User"],
      [ids[2], "Renamed"],
      [ids[3], "d3 User"],
      [ids[4], "d4 User"],
    ],
  );
});
