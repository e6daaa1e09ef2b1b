import { MongoClient } from "mongodb";
import { createTenant, oktaUser, scimClient } from "../tests/harness/scim_client.ts";
import { cpuDuring, percentiles, progress, rssMb, runConcurrent, startBenchStack } from "./harness.ts";

/**
 * `npm run bench -- users`: create N users with C concurrent clients, page through them with
 * count=100, then N lookups by userName; plus the same database's raw insertOne throughput.
 */
export async function benchUsers(options: { users: number; concurrency: number }) {
  const { users: n, concurrency } = options;
  await using stack = await startBenchStack();
  const tenant = await createTenant(stack.services.identityAddress, "bench");
  const scim = scimClient(stack.scimUrl, tenant.token);
  const results: Record<string, unknown> = { users: n, concurrency };

  // Raw driver insertOne throughput against the same FerretDB, same concurrency, user-sized docs.
  const client = new MongoClient(stack.mongoUrl, { retryWrites: false });
  await client.connect();
  const scratch = client.db("bench_raw").collection<Record<string, unknown>>("users");
  const raw = await runConcurrent(n, concurrency, async (i) => {
    await scratch.insertOne({ ...oktaUser(`raw${i}@bench.example`), _id: `raw-${i}` as never });
  });
  await client.close();
  results["raw insertOne"] = { perSecond: Math.round(n / raw.seconds), ...percentiles(raw.latencies) };
  progress(`raw insertOne: ${n} documents`);

  let failures = 0;
  const { result: created, cpuMsPerOp } = await cpuDuring(stack, n, () =>
    runConcurrent(n, concurrency, async (i) => {
      const r = await scim.post("/Users", oktaUser(`user${i}@bench.example`));
      if (r.status !== 201) failures += 1;
    }),
  );
  const createRate = Math.round(n / created.seconds);
  results["create (POST /Users)"] = {
    perSecond: createRate,
    failures,
    ...percentiles(created.latencies),
    cpuMsPerUser: cpuMsPerOp,
  };
  progress(`created ${n} users over SCIM`);
  results["create / raw insert"] =
    `${Math.round((100 * createRate) / (results["raw insertOne"] as { perSecond: number }).perSecond)}%`;

  // The plain list is served from the user directory, which follows writes asynchronously: how
  // long after the last 201 it lists every user is a figure of its own.
  const createdAt = performance.now();
  for (;;) {
    const r = await scim.get("/Users?count=0");
    if (r.body["totalResults"] === n) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  results["list complete after the last create (ms)"] = Math.round(performance.now() - createdAt);

  const pages: number[] = [];
  let seen = 0;
  for (let start = 1; start <= n; start += 100) {
    const t = performance.now();
    const r = await scim.get(`/Users?startIndex=${start}&count=100`);
    pages.push(performance.now() - t);
    seen += r.body.Resources?.length ?? 0;
  }
  results["page (count=100)"] = { pages: pages.length, usersSeen: seen, ...percentiles(pages) };
  progress(`paged through ${seen} users`);

  const lookups = await runConcurrent(n, 1, async (i) => {
    const r = await scim.get(
      `/Users?filter=${encodeURIComponent(`userName eq "USER${(i * 7919) % n}@bench.example"`)}`,
    );
    if (r.body["totalResults"] !== 1) failures += 1;
  });
  results["lookup by userName"] = {
    perSecond: Math.round(n / lookups.seconds),
    failures,
    ...percentiles(lookups.latencies),
  };
  results["RSS MB"] = {
    gateway: await rssMb(stack.services.processes["scim-gateway"]?.pid()),
    identity: await rssMb(stack.services.processes["identity"]?.pid()),
    teams: await rssMb(stack.services.processes["teams"]?.pid()),
  };
  return results;
}
