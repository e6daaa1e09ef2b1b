import { MongoClient } from "mongodb";
import { connect } from "@nats-io/transport-node";
import { fromBinary } from "@bufbuild/protobuf";
import { UserChangedSchema } from "../gen/moodpoll/events/v1/events_pb.ts";
import { Subject } from "../platform/mod.ts";
import type { UserRecord } from "../services/identity/users/record.ts";
import { createDirectory } from "../services/identity/users/directory/mod.ts";
import { toRecord } from "../services/identity/users/record.ts";
import { userNameKey } from "../services/identity/users/keys.ts";
import { create } from "@bufbuild/protobuf";
import { UserSchema } from "../gen/moodpoll/identity/v1/identity_pb.ts";
import { createTenant, scimClient } from "../tests/harness/scim_client.ts";
import { cpuDuring, percentiles, progress, rssMb, startBenchStack } from "./harness.ts";
import {
  defaultTeamId,
  KNOWN_USERS,
  MEMBERSHIPS,
  type KnownUser,
  type MembershipRecord,
} from "../services/teams/teams/records.ts";

/**
 * `npm run bench -- teams`: grow one team to N members with PATCH `add` requests of 500, read it
 * with and without members, then delete it while half of its members also belong to another team
 * and wait for the re-homing (moves, disabling, working days) to complete.
 *
 * The N users are seeded straight into identity's collections (records + key documents, exactly
 * what the service writes) because creating them through SCIM is the users benchmark, not this one.
 */
export async function benchTeams(options: { members: number; concurrency: number }) {
  const n = options.members;
  await using stack = await startBenchStack();
  const tenant = await createTenant(stack.services.identityAddress, "bench-teams");
  const scim = scimClient(stack.scimUrl, tenant.token);
  const results: Record<string, unknown> = { members: n };

  const client = new MongoClient(stack.mongoUrl, { retryWrites: false });
  await client.connect();
  const db = client.db("moodpoll");
  const ids: string[] = [];
  const now = new Date();
  for (let i = 0; i < n; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, n - i) }, (_, j) => {
      const k = i + j;
      const user = create(UserSchema, {
        userName: `m${k}@bench.example`,
        active: true,
        workingDays: [1, 2, 3, 4, 5],
      });
      return toRecord(user, {
        id: `00000000-0000-4000-8000-${String(k).padStart(12, "0")}`,
        tenantId: tenant.tenantId,
        created: now,
        lastModified: now,
        version: 1,
      });
    });
    await db.collection("users").insertMany(batch as never[]);
    await db.collection("user_keys").insertMany(
      batch.map((u) => ({
        _id: userNameKey(tenant.tenantId, u.userName),
        userId: u._id,
        tenantId: tenant.tenantId,
        created: now,
      })) as never[],
    );
    // What the teams service holds for a user it has seen created (which makes them a member of
    // the default team, product rule 2).
    await db
      .collection(KNOWN_USERS)
      .insertMany(
        batch.map((u) => ({ _id: u._id, tenantId: tenant.tenantId, display: u.userName })) as never[],
      );
    ids.push(...batch.map((u) => u._id));
  }
  // Users written without events are not in the user directory yet: build it from the collection
  // (what its projector does for a tenant it has not seen; services/identity/users/directory).
  await createDirectory(db).rebuild(tenant.tenantId);
  await client.close();
  progress(`seeded ${n} users`);

  const big = await scim.post("/Groups", { displayName: "Big" });
  const other = await scim.post("/Groups", { displayName: "Other" });
  const bigId = String(big.body["id"]);
  const patch = async (groupId: string, members: string[]) => {
    const t = performance.now();
    const r = await scim.patch(`/Groups/${groupId}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "add", path: "members", value: members.map((value) => ({ value })) }],
    });
    if (r.status !== 204) throw new Error(`PATCH failed: ${r.status} ${r.text.slice(0, 200)}`);
    return performance.now() - t;
  };
  const patches: number[] = [];
  const grow = await cpuDuring(stack, n / 500, async () => {
    for (let i = 0; i < n; i += 500) patches.push(await patch(bigId, ids.slice(i, i + 500)));
  });
  results["PATCH add 500 members"] = {
    requests: patches.length,
    ...percentiles(patches),
    cpuMsPerRequest: grow.cpuMsPerOp,
  };
  progress(`grew the team to ${n} members`);
  for (let i = 0; i < n / 2; i += 500)
    await patch(String(other.body["id"]), ids.slice(i, Math.min(i + 500, n / 2)));

  const reads = async (query: string) => {
    const samples: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const t = performance.now();
      const r = await scim.get(`/Groups/${bigId}${query}`);
      samples.push(performance.now() - t);
      if (r.status !== 200) throw new Error(`GET failed: ${r.status}`);
    }
    return percentiles(samples);
  };
  results["GET group excludedAttributes=members"] = await reads("?excludedAttributes=members");
  results["GET group with members"] = await reads("");

  // Completion is observed on the event stream (a core subscription sees every JetStream publish),
  // not by polling a filtered list, which on FerretDB scans every user and would slow the work down.
  const nc = await connect({ servers: stack.natsUrl });
  const disabled = new Set<string>();
  let rehomed = false;
  const finished = Promise.withResolvers<void>();
  const check = () => {
    if (rehomed && disabled.size >= n / 2) finished.resolve();
  };
  nc.subscribe(Subject.UserDeactivated, {
    callback: (_err, msg) => {
      const user = fromBinary(UserChangedSchema, msg.data).user;
      if (user && !user.active && user.workingDays.length === 0) disabled.add(user.id);
      check();
    },
  });
  nc.subscribe(Subject.TeamRehomingCompleted, {
    callback: () => {
      rehomed = true;
      check();
    },
  });
  await nc.flush();
  const progressTimer = setInterval(
    () => progress(`re-homing: ${disabled.size}/${n / 2} orphans disabled`),
    10_000,
  );

  const t = performance.now();
  const rehoming = await cpuDuring(stack, n, async () => {
    const deleted = await scim.delete(`/Groups/${bigId}`);
    results["DELETE answered ms"] = Math.round(performance.now() - t);
    progress("deleted the team; waiting for re-homing");
    if (deleted.status !== 204) throw new Error(`DELETE failed: ${deleted.status}`);
    const timeout = setTimeout(
      () => finished.reject(new Error("re-homing did not finish in 20 min")),
      20 * 60_000,
    );
    await finished.promise;
    clearTimeout(timeout);
  });
  results["re-homing complete s"] = Math.round((performance.now() - t) / 100) / 10;
  results["re-homing cpuMsPerMember"] = rehoming.cpuMsPerOp;
  clearInterval(progressTimer);
  await nc.close();
  results["re-homing verified"] = await verifyRehoming(stack.mongoUrl, tenant.tenantId, ids, {
    deletedTeam: bigId,
    otherTeam: String(other.body["id"]),
  });
  // And as Okta sees it: the group is gone, and sampled users list exactly their live teams.
  if ((await scim.get(`/Groups/${bigId}`)).status !== 404) throw new Error("the deleted group still answers");
  const listed = await scim.get("/Users?count=0");
  if (listed.body["totalResults"] !== n)
    throw new Error(`the user list counts ${String(listed.body["totalResults"])}`);
  for (const i of [0, 1, n / 2 - 1, n / 2, n / 2 + 1, n - 1]) {
    const groups = (await scim.get(`/Users/${ids[i]}`)).body["groups"] as { value: string }[];
    const expected = i < n / 2 ? String(other.body["id"]) : defaultTeamId(tenant.tenantId);
    if (groups.map((g) => g.value).join(",") !== expected)
      throw new Error(`user ${i} lists groups ${JSON.stringify(groups)}, expected ${expected}`);
  }
  results["RSS MB"] = {
    teams: await rssMb(stack.services.processes["teams"]?.pid()),
    identity: await rssMb(stack.services.processes["identity"]?.pid()),
    gateway: await rssMb(stack.services.processes["scim-gateway"]?.pid()),
  };
  return results;
}

/**
 * Reads the final state straight from the database: every orphan (the second half) is disabled,
 * has no working days and is in the default team only; every member who had another team (the
 * first half) is untouched; nobody is left in the deleted team. Throws on the first violation.
 */
async function verifyRehoming(
  mongoUrl: string,
  tenantId: string,
  ids: string[],
  teams: { deletedTeam: string; otherTeam: string },
): Promise<string> {
  const client = new MongoClient(mongoUrl, { retryWrites: false });
  await client.connect();
  try {
    const db = client.db("moodpoll");
    const users = new Map(
      (await db.collection<UserRecord>("users").find({ tenantId }).toArray()).map((u) => [u._id, u]),
    );
    // The deleted team's own memberships are purged later (services/teams/teams/rehoming.ts);
    // no read sees them, so they are left out here too.
    const teamsOf = new Map<string, Set<string>>();
    for (const m of await db.collection<MembershipRecord>(MEMBERSHIPS).find({ tenantId }).toArray()) {
      if (m.teamId === teams.deletedTeam) continue;
      teamsOf.set(m.userId, (teamsOf.get(m.userId) ?? new Set()).add(m.teamId));
    }
    // The default team is not stored: its members are the known users in no other team.
    const known = new Set(
      (await db.collection<KnownUser>(KNOWN_USERS).find({ tenantId }).toArray()).map((u) => u._id),
    );
    ids.forEach((id, i) => {
      const user = users.get(id);
      const member = [...(teamsOf.get(id) ?? [])].sort().join(",") || (known.has(id) ? "default" : "none");
      const orphan = i >= ids.length / 2;
      const ok = orphan
        ? user?.active === false && user.workingDays.length === 0 && member === "default"
        : user?.active === true && user.workingDays.length === 5 && member === teams.otherTeam;
      if (!ok) throw new Error(`re-homing left user ${i} wrong: ${JSON.stringify({ user, member })}`);
    });
    return `${ids.length / 2} orphans disabled without working days in the default team; ${ids.length / 2} others untouched`;
  } finally {
    await client.close();
  }
}
