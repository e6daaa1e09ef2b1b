import test from "ava";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { ConfigMap, Namespace, Secret, Service } from "kubernetes-models/v1";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigError } from "../../platform/config.ts";
import { readServiceConfig } from "../../platform/service_host.ts";
import { readGatewayConfig } from "../../services/scim-gateway/config.ts";
import { ensureKustomize } from "../../deploy/local/tools.ts";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");
const OVERLAYS = ["dev", "prod", "managed"] as const;

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [k: string]: unknown;
};

// Offline validation against the Kubernetes OpenAPI schemas shipped in kubernetes-models.
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "batch/v1/Job": Job,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "networking.k8s.io/v1/Ingress": Ingress,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
};

const rendered = new Map<string, K8sObject[]>();
test.before(async () => {
  const kustomize = await ensureKustomize();
  for (const overlay of OVERLAYS) {
    const { stdout } = await run(kustomize, ["build", join(ROOT, "deploy", "k8s", "overlays", overlay)], {
      maxBuffer: 16 << 20,
    });
    rendered.set(
      overlay,
      parseAllDocuments(stdout)
        .map((d) => d.toJS() as K8sObject)
        .filter(Boolean),
    );
  }
});

/** The variables a config reader requires: what it reports as missing for an empty environment. */
function requiredVariables(read: (env: Record<string, string>) => unknown): string[] {
  try {
    read({});
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => p.split(" ")[0]!);
  }
}

type Container = {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: { name: string }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
};
type Probe = {
  httpGet?: { path: string; port: string | number };
  grpc?: { port: number };
  tcpSocket?: { port: string | number };
};
const podSpec = (d: K8sObject) =>
  (
    d["spec"] as {
      template: { spec: { containers: Container[] }; metadata: { labels: Record<string, string> } };
    }
  ).template;

for (const overlay of OVERLAYS) {
  test(`the ${overlay} overlay renders objects that all validate against the Kubernetes schemas`, (t) => {
    const objects = rendered.get(overlay)!;
    t.true(objects.length > 10);
    for (const object of objects) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      if (!Model) {
        t.fail(`no schema for ${object.apiVersion}/${object.kind}`);
        continue;
      }
      t.notThrows(() => new Model(object as never).validate(), `${object.kind}/${object.metadata.name}`);
    }
  });

  test(`the ${overlay} overlay agrees with the code: variables, ports, probes, selectors, image`, async (t) => {
    const objects = rendered.get(overlay)!;
    const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
    const config = byKind("ConfigMap").find((c) => c.metadata.name === "moodpoll-provisioning-config")!;
    const configKeys = new Set(Object.keys(config["data"] as Record<string, string>));
    // Keys of the Secret: generated in the dev overlay, else the documented template.
    const secret =
      byKind("Secret").find((s) => s.metadata.name === "moodpoll-provisioning-secrets") ??
      (parseAllDocuments(
        await readFile(join(ROOT, "deploy/k8s/base/secret.template.yaml"), "utf8"),
      )[0]!.toJS() as K8sObject);
    const secretKeys = new Set(
      Object.keys((secret["stringData"] ?? secret["data"]) as Record<string, string>),
    );
    const required: Record<string, { vars: string[]; port: number }> = {
      "scim-gateway": { vars: requiredVariables(readGatewayConfig), port: 8080 },
      identity: {
        vars: requiredVariables((env) => readServiceConfig(env, 50051, "IDENTITY_GRPC_PORT")),
        port: 50051,
      },
      teams: {
        vars: requiredVariables((env) => readServiceConfig(env, 50052, "TEAMS_GRPC_PORT")),
        port: 50052,
      },
    };
    t.deepEqual(required["identity"]!.vars.sort(), ["MONGO_URL", "NATS_URL"]);
    const images = new Set<string>();
    for (const [name, want] of Object.entries(required)) {
      const deployment = byKind("Deployment").find((d) => d.metadata.name === name);
      if (!deployment) {
        t.fail(`no Deployment ${name}`);
        continue;
      }
      const template = podSpec(deployment);
      const container = template.spec.containers[0]!;
      images.add(container.image);
      t.deepEqual(container.args, [`services/${name}/main.ts`], `${name} runs its own main.ts`);
      const provided = new Set([...configKeys, ...secretKeys, ...(container.env ?? []).map((e) => e.name)]);
      for (const variable of want.vars) t.true(provided.has(variable), `${name} gets ${variable}`);
      // The port the service listens on (from the same ConfigMap) is the container port.
      const portVar =
        name === "scim-gateway" ? "PORT" : name === "identity" ? "IDENTITY_GRPC_PORT" : "TEAMS_GRPC_PORT";
      const listens = Number((config["data"] as Record<string, string>)[portVar] ?? want.port);
      const ports = container.ports ?? [];
      t.deepEqual(
        ports.map((p) => p.containerPort),
        [listens],
        `${name} container port`,
      );
      t.is(
        config["data"] &&
          (config["data"] as Record<string, string>)[name === "scim-gateway" ? "HOST" : "GRPC_HOST"],
        "0.0.0.0",
      );
      for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
        t.truthy(probe, `${name} has all three probes`);
        if (probe?.httpGet) {
          t.true(
            ["/healthz", "/readyz"].includes(probe.httpGet.path),
            `${name} probe path ${probe.httpGet.path}`,
          );
          t.true(
            ports.some((p) => p.name === probe.httpGet!.port || p.containerPort === probe.httpGet!.port),
          );
        }
        if (probe?.grpc) t.is(probe.grpc.port, listens, `${name} gRPC probe port`);
        if (probe?.tcpSocket)
          t.true(
            ports.some((p) => p.name === probe.tcpSocket!.port || p.containerPort === probe.tcpSocket!.port),
          );
      }
      const service = byKind("Service").find((s) => s.metadata.name === name);
      const spec = service?.["spec"] as
        { selector: Record<string, string>; ports: { targetPort: string | number }[] } | undefined;
      t.truthy(spec, `Service ${name}`);
      for (const [k, v] of Object.entries(spec?.selector ?? {}))
        t.is(template.metadata.labels[k], v, `Service ${name} selects its pods`);
      for (const p of spec?.ports ?? [])
        t.true(ports.some((cp) => cp.name === p.targetPort || cp.containerPort === p.targetPort));
    }
    t.is(images.size, 1, "one image for the three services");
    // The gateway reaches the backends through the Services' names and ports.
    const data = config["data"] as Record<string, string>;
    t.is(data["IDENTITY_ADDRESS"], `identity:${data["IDENTITY_GRPC_PORT"]}`);
    t.is(data["TEAMS_ADDRESS"], `teams:${data["TEAMS_GRPC_PORT"]}`);
    const workloads = [...byKind("Deployment"), ...byKind("StatefulSet")];
    for (const w of workloads) {
      const spec = podSpec(w).spec as unknown as {
        securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
      };
      t.true(spec.securityContext?.runAsNonRoot, `${w.metadata.name} runs as non-root`);
      t.is(spec.securityContext?.seccompProfile?.type, "RuntimeDefault");
    }
  });
}

test("the prod overlay is highly available and the dev overlay is small", (t) => {
  const replicas = (overlay: string, name: string) =>
    (
      rendered.get(overlay)!.find((o) => o.metadata.name === name && /Deployment|StatefulSet/.test(o.kind))?.[
        "spec"
      ] as { replicas: number }
    ).replicas;
  t.is(replicas("prod", "scim-gateway"), 3);
  t.is(replicas("prod", "nats"), 3);
  t.is(replicas("prod", "mongodb"), 3);
  t.true(replicas("prod", "identity") >= 2);
  t.is(replicas("dev", "identity"), 1);
  t.is(replicas("dev", "mongodb"), 1);
  t.false(
    rendered.get("managed")!.some((o) => o.kind === "StatefulSet"),
    "managed brings no datastores",
  );
  const prodConfig = rendered
    .get("prod")!
    .find((o) => o.kind === "ConfigMap" && o.metadata.name === "moodpoll-provisioning-config")!;
  t.is((prodConfig["data"] as Record<string, string>)["NATS_STREAM_REPLICAS"], "3");
});
