import test from "ava";
import { waitForHttp } from "../../deploy/local/processes.ts";
import { startTestStack } from "../harness/stack.ts";

test("the stack becomes ready, answers SCIM errors for unknown routes, and recovers a killed service", async (t) => {
  await using stack = await startTestStack();

  const ready = await fetch(`${stack.gatewayUrl}/readyz`);
  t.is(ready.status, 200);
  t.deepEqual(await ready.json(), { status: "ready", checks: { identity: true, teams: true } });
  t.is((await fetch(`${stack.gatewayUrl}/healthz`)).status, 200);

  const unknown = await fetch(`${stack.gatewayUrl}/no/such/thing`);
  t.is(unknown.status, 404);
  t.regex(unknown.headers.get("content-type") ?? "", /^application\/scim\+json/);
  const body = (await unknown.json()) as Record<string, unknown>;
  t.deepEqual(body["schemas"], ["urn:ietf:params:scim:api:messages:2.0:Error"]);
  t.is(body["status"], "404");
  t.truthy(body["detail"]);

  // Kill identity without warning: readiness drops, the supervisor restarts it, readiness returns.
  const identity = stack.services.processes["identity"]!;
  const pid = identity.pid()!;
  process.kill(pid, "SIGKILL");
  const deadline = Date.now() + 10_000;
  let sawNotReady = false;
  while (Date.now() < deadline && !sawNotReady) {
    sawNotReady = (await fetch(`${stack.gatewayUrl}/readyz`)).status === 503;
  }
  t.true(sawNotReady, "readyz reports 503 while identity is down");
  await waitForHttp(`${stack.gatewayUrl}/readyz`, 30_000);
  t.not(identity.pid(), pid);
  t.is(identity.restarts(), 1);
});

test("a service refuses to start with a clear message naming a bad variable", async (t) => {
  const { spawnSync } = await import("node:child_process");
  const result = spawnSync(process.execPath, ["services/identity/main.ts"], {
    env: { ...process.env, MONGO_URL: "not-a-url", NATS_URL: "nats://127.0.0.1:1", IDENTITY_GRPC_PORT: "x" },
    encoding: "utf8",
    timeout: 20_000,
  });
  t.is(result.status, 1);
  t.regex(result.stdout + result.stderr, /MONGO_URL must be a mongodb or mongodb\+srv URL/);
  t.regex(result.stdout + result.stderr, /IDENTITY_GRPC_PORT must be an integer/);
});
