import { randomUUID } from "node:crypto";
import { GenericContainer, Wait, type StartedTestContainer } from "testcontainers";
import { DEFAULT_IMAGES } from "./container_runtime.ts";

/** A server a test uses; disposing it stops the container (nothing when the URL came from the env). */
export interface TestServer extends AsyncDisposable {
  readonly url: string;
  readonly container: StartedTestContainer | undefined;
}

const LABELS = { "moodpoll-test": "1" };

function external(url: string): TestServer {
  return { url, container: undefined, [Symbol.asyncDispose]: () => Promise.resolve() };
}

function started(url: string, container: StartedTestContainer): TestServer {
  return {
    url,
    container,
    [Symbol.asyncDispose]: async () => {
      await container.stop({ timeout: 1000 });
    },
  };
}

/**
 * A MongoDB-compatible server: MONGO_URL when set, else a container — FerretDB on SQLite from the
 * locally built image here, or the official mongo image where MOODPOLL_MONGO_IMAGE names it.
 */
export async function startMongo(): Promise<TestServer> {
  const given = process.env["MONGO_URL"];
  if (given) return external(given);
  const image = process.env["MOODPOLL_MONGO_IMAGE"] ?? DEFAULT_IMAGES.mongo;
  let container: GenericContainer = new GenericContainer(image).withExposedPorts(27017).withLabels(LABELS);
  container = image.includes("ferretdb")
    ? container
        .withCommand([
          "--handler=sqlite",
          "--sqlite-url=file:/data/",
          "--listen-addr=0.0.0.0:27017",
          "--telemetry=disable",
          "--state-dir=/data",
          "--debug-addr=-",
        ])
        .withWaitStrategy(Wait.forLogMessage(/Listening on TCP/))
    : container.withWaitStrategy(Wait.forLogMessage(/Waiting for connections/));
  const c = await container.start();
  return started(`mongodb://${c.getHost()}:${c.getMappedPort(27017)}/`, c);
}

/**
 * A NATS server with JetStream: NATS_URL when set, else a container. With `hostPort` and
 * `dataDir` the server can be stopped and started again at the same address with its streams
 * (the "NATS briefly down" tests).
 */
export async function startNats(options: { hostPort?: number; dataDir?: string } = {}): Promise<TestServer> {
  const given = process.env["NATS_URL"];
  if (given && !options.hostPort) return external(given);
  const image = process.env["MOODPOLL_NATS_IMAGE"] ?? DEFAULT_IMAGES.nats;
  let container = new GenericContainer(image)
    .withExposedPorts(options.hostPort ? { container: 4222, host: options.hostPort } : 4222)
    .withLabels(LABELS)
    .withCommand(["-js", "-sd", "/data"])
    .withWaitStrategy(Wait.forLogMessage(/Server is ready/));
  if (options.dataDir) container = container.withBindMounts([{ source: options.dataDir, target: "/data" }]);
  const c = await container.start();
  return started(`nats://${c.getHost()}:${c.getMappedPort(4222)}`, c);
}

/** A database name no other test uses, so suites can share one server. */
export function uniqueDbName(prefix = "test"): string {
  return `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
}
