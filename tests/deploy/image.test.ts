import test from "ava";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { buildImage } from "../../deploy/local/image.ts";
import { waitForHttp } from "../../deploy/local/processes.ts";
import { freePort } from "../../deploy/local/stack.ts";
import { oktaUser, scimClient } from "../harness/scim_client.ts";
import { startMongo, startNats, type TestServer } from "../harness/servers.ts";

const run = promisify(execFile);

/** Podman here (its images assembled locally); Docker elsewhere (the official Node base is pulled). */
async function containerCli(): Promise<"podman" | "docker"> {
  try {
    await run("sh", ["-c", "command -v podman"]);
    return "podman";
  } catch {
    return "docker";
  }
}

let mongo: TestServer | undefined;
let nats: TestServer | undefined;
const started: string[] = [];
let cli: "podman" | "docker" = "podman";

test.after.always(async () => {
  if (started.length > 0) await run(cli, ["rm", "-f", ...started]).catch(() => undefined);
  await Promise.all([mongo?.[Symbol.asyncDispose](), nats?.[Symbol.asyncDispose]()]);
});

test("the image built from deploy/Containerfile runs the three services read-only and non-root, serves SCIM, and stops cleanly on SIGTERM", async (t) => {
  t.timeout(10 * 60_000);
  cli = await containerCli();
  const image = await buildImage({ cli, localBase: cli === "podman", log: (line) => t.log(line) });
  [mongo, nats] = await Promise.all([startMongo(), startNats()]);
  const [gatewayPort, identityPort, teamsPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const env = {
    MONGO_URL: mongo.url,
    NATS_URL: nats.url,
    MONGO_DB: `image_${randomUUID().slice(0, 8)}`,
    // Host networking so the containers reach the test servers' loopback ports; everything binds
    // to loopback only.
    HOST: "127.0.0.1",
    GRPC_HOST: "127.0.0.1",
    PORT: String(gatewayPort),
    IDENTITY_GRPC_PORT: String(identityPort),
    TEAMS_GRPC_PORT: String(teamsPort),
    IDENTITY_ADDRESS: `127.0.0.1:${identityPort}`,
    TEAMS_ADDRESS: `127.0.0.1:${teamsPort}`,
  };
  // What the Kubernetes securityContext asks for: a read-only root filesystem (and no tmpfs the
  // cluster would not give either), a non-root numeric user, no capabilities, no privilege gain.
  const hardening = [
    "--read-only",
    ...(cli === "podman" ? ["--read-only-tmpfs=false"] : []),
    "--user",
    "10001:10001",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
  ];
  for (const service of ["identity", "teams", "scim-gateway"]) {
    const name = `moodpoll-image-${service}-${randomUUID().slice(0, 8)}`;
    await run(cli, [
      "run",
      "-d",
      "--name",
      name,
      "--label",
      "moodpoll-test=1",
      "--network",
      "host",
      ...hardening,
      ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
      image,
      `services/${service}/main.ts`,
    ]);
    started.push(name);
  }
  const [identity, , gateway] = started as [string, string, string];
  await waitForHttp(`http://127.0.0.1:${gatewayPort}/readyz`, 60_000);

  // The tenant CLI inside the identity container, as deploy/README.md tells operators to run it.
  const { stdout } = await run(cli, [
    "exec",
    identity,
    "node",
    "scripts/tenant.ts",
    "create",
    "--name",
    "Image",
    "--json",
  ]);
  const tenant = JSON.parse(stdout) as { token: string };
  const scim = scimClient(`http://127.0.0.1:${gatewayPort}/scim/v2`, tenant.token);
  const created = await scim.post("/Users", oktaUser("image@acme.com"));
  t.is(created.status, 201);
  const found = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "image@acme.com"')}`);
  t.is(found.body["totalResults"], 1);

  // SIGTERM (what Kubernetes sends) runs the ordered shutdown and exits 0 well before the kill.
  await run(cli, ["stop", "-t", "20", ...started]);
  for (const name of started) {
    const { stdout: code } = await run(cli, ["inspect", "-f", "{{.State.ExitCode}}", name]);
    t.is(code.trim(), "0", `${name} exited cleanly`);
  }
  const { stdout: logs } = await run(cli, ["logs", gateway]);
  t.regex(logs, /"msg":"stopped"/);
});
