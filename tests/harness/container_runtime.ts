import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile, copyFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ensureFerretDb, ensureNatsServer, TOOL_VERSIONS, toolsDir } from "../../deploy/local/tools.ts";

const run = promisify(execFile);

/** Images the integration suites start; overridable so Docker hosts can use official images. */
export const DEFAULT_IMAGES = {
  mongo: `localhost/moodpoll-ferretdb:${TOOL_VERSIONS.ferretdbBuild}`,
  nats: `localhost/moodpoll-nats:${TOOL_VERSIONS.natsServer}`,
} as const;

/**
 * Podman settings that work on this machine kind (ENVIRONMENT.md): runc instead of crun (hybrid
 * cgroups), explicit ulimits (runc cannot inherit them), k8s-file logs (testcontainers' log waits).
 * Passed through CONTAINERS_CONF so the machine's own /etc/containers is left alone.
 */
const CONTAINERS_CONF = `[containers]
default_ulimits = ["nofile=16384:16384", "nproc=8192:8192"]
log_driver = "k8s-file"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
`;

async function has(command: string): Promise<boolean> {
  try {
    await run("sh", ["-c", `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

async function dockerAnswers(socket: string): Promise<boolean> {
  try {
    const { stdout } = await run("curl", [
      "-s",
      "--max-time",
      "2",
      "--unix-socket",
      socket,
      "http://d/_ping",
    ]);
    return stdout.trim() === "OK";
  } catch {
    return false;
  }
}

/** Builds a one-binary image with `podman import` (no base image can be pulled here). */
async function importImage(podmanEnv: NodeJS.ProcessEnv, image: string, binary: string, entry: string) {
  try {
    await run("podman", ["image", "exists", image], { env: podmanEnv });
    return;
  } catch {
    // not there yet
  }
  const root = await mkdtemp(join(tmpdir(), "moodpoll-image-"));
  try {
    for (const dir of ["bin", "data", "tmp"]) await mkdir(join(root, dir));
    await copyFile(binary, join(root, "bin", entry));
    await chmod(join(root, "bin", entry), 0o755);
    const tar = join(root, "..", `${entry}-${Date.now()}.tar`);
    await run("tar", ["-C", root, "-cf", tar, "."]);
    await run("podman", ["import", "--change", `ENTRYPOINT ["/bin/${entry}"]`, tar, image], {
      env: podmanEnv,
    });
    await rm(tar, { force: true });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * Makes a container runtime available to testcontainers and returns the environment the test
 * processes need. Order: an explicit DOCKER_HOST; a running Docker engine (official images);
 * else Podman, installed from Debian's packages if missing (as root), serving the Docker API on
 * a socket under .tools/, with the two images built locally from the Go-built binaries.
 */
export async function prepareContainerRuntime(log: (line: string) => void): Promise<NodeJS.ProcessEnv> {
  const base = { TESTCONTAINERS_RYUK_DISABLED: "true", TESTCONTAINERS_HOST_OVERRIDE: "127.0.0.1" };
  if (process.env["DOCKER_HOST"]) return { ...base };
  if (existsSync("/var/run/docker.sock") && (await dockerAnswers("/var/run/docker.sock"))) {
    return {
      ...base,
      MOODPOLL_MONGO_IMAGE: process.env["MOODPOLL_MONGO_IMAGE"] ?? "mongo:7",
      MOODPOLL_NATS_IMAGE: process.env["MOODPOLL_NATS_IMAGE"] ?? "nats:2",
    };
  }
  // Podman, and busybox for the shell of the locally assembled Node base image (deploy/local/image.ts).
  const missing = [
    ...((await has("podman")) ? [] : ["podman", "runc"]),
    ...((await has("busybox")) ? [] : ["busybox-static"]),
  ];
  if (missing.length > 0) {
    if (process.getuid?.() !== 0 || !(await has("apt-get"))) {
      throw new Error(
        `Missing ${missing.join(", ")}: install Podman (and busybox) or Docker, or set MONGO_URL and NATS_URL for the tests`,
      );
    }
    log(`moodpoll: installing ${missing.join(", ")} from Debian's packages (first run only)...`);
    await run(
      "sh",
      [
        "-c",
        `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(" ")}`,
      ],
      {
        maxBuffer: 64 << 20,
      },
    );
  }
  const dir = join(toolsDir(), "podman");
  await mkdir(dir, { recursive: true });
  const conf = join(dir, "containers.conf");
  await writeFile(conf, CONTAINERS_CONF);
  const socket = join(dir, "podman.sock");
  const podmanEnv = { ...process.env, CONTAINERS_CONF: conf };
  if (!(await dockerAnswers(socket))) {
    log("moodpoll: starting the Podman API service for testcontainers...");
    const child = spawn("podman", ["system", "service", "--time=0", `unix://${socket}`], {
      env: podmanEnv,
      detached: true,
      stdio: "ignore",
    });
    child.unref();
    const end = Date.now() + 20_000;
    while (!(await dockerAnswers(socket))) {
      if (Date.now() > end) throw new Error("The Podman API service did not start (podman system service)");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const images = {
    mongo: process.env["MOODPOLL_MONGO_IMAGE"] ?? DEFAULT_IMAGES.mongo,
    nats: process.env["MOODPOLL_NATS_IMAGE"] ?? DEFAULT_IMAGES.nats,
  };
  if (images.mongo === DEFAULT_IMAGES.mongo)
    await importImage(podmanEnv, images.mongo, await ensureFerretDb(log), "ferretdb");
  if (images.nats === DEFAULT_IMAGES.nats)
    await importImage(podmanEnv, images.nats, await ensureNatsServer(log), "nats-server");
  // Containers left by an interrupted run (no Ryuk reaper here) are removed.
  await run("sh", ["-c", "podman ps -aq --filter label=moodpoll-test=1 | xargs -r podman rm -f"], {
    env: podmanEnv,
  });
  return {
    ...base,
    DOCKER_HOST: `unix://${socket}`,
    CONTAINERS_CONF: conf,
    MOODPOLL_MONGO_IMAGE: images.mongo,
    MOODPOLL_NATS_IMAGE: images.nats,
  };
}
