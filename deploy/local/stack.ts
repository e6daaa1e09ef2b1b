import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { ensureFerretDb, ensureNatsServer } from "./tools.ts";
import { startProcess, waitForHttp, type ManagedProcess, type ProcessSpec } from "./processes.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");

/** Asks the OS for a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Starts the embedded development MongoDB-compatible server (FerretDB on SQLite files). */
export async function startFerretDb(options: {
  dataDir: string;
  port: number;
  onLine?: ProcessSpec["onLine"];
}) {
  const bin = await ensureFerretDb();
  const dir = resolve(options.dataDir, "ferretdb");
  await mkdir(dir, { recursive: true });
  const proc = startProcess({
    name: "ferretdb",
    command: bin,
    args: [
      "--handler=sqlite",
      // WAL with synchronous=NORMAL: a write is acknowledged once in the log, and the log is synced
      // at checkpoints, as a standalone MongoDB acknowledges before its journal flush (w:1). SQLite's
      // default, FULL, syncs every single-document transaction (docs/PERFORMANCE.md has both).
      `--sqlite-url=file:${dir}/?_pragma=synchronous(${devSqliteSync()})`,
      `--listen-addr=127.0.0.1:${options.port}`,
      "--telemetry=disable",
      `--state-dir=${dir}`,
      // FerretDB's metrics and pprof handlers, for profiling the dev database (off by default).
      `--debug-addr=${process.env["FERRETDB_DEBUG_ADDR"] ?? "-"}`,
    ],
    // Go's collector runs at GOGC=100 by default; FerretDB allocates heavily per document, and at 400
    // it spends ~10-20% less CPU per command (docs/PERFORMANCE.md). A development server has the memory.
    env: { ...process.env, GOGC: process.env["GOGC"] ?? "400" },
    readyLine: /Listening on TCP/,
    // FerretDB logs every connection at INFO; only its warnings and errors are worth showing.
    onLine: (name, line) => {
      if (/\t(WARN|ERROR|DPANIC|PANIC|FATAL)/.test(line) || /Listening on TCP/.test(line)) {
        (options.onLine ?? ((n: string, l: string) => process.stdout.write(`[${n}] ${l}\n`)))(name, line);
      }
    },
  });
  return { proc, url: `mongodb://127.0.0.1:${options.port}/` };
}

/** DEV_SQLITE_SYNC: the embedded FerretDB's SQLite `synchronous` setting, `normal` (default) or `full`. */
function devSqliteSync(): "normal" | "full" {
  const value = (process.env["DEV_SQLITE_SYNC"] ?? "normal").toLowerCase();
  if (value !== "normal" && value !== "full")
    throw new Error(`DEV_SQLITE_SYNC must be "normal" or "full", got "${value}"`);
  return value;
}

/** Starts the embedded development NATS server with JetStream (file storage under dataDir). */
export async function startNats(options: { dataDir: string; port: number; onLine?: ProcessSpec["onLine"] }) {
  const bin = await ensureNatsServer();
  const dir = resolve(options.dataDir, "nats");
  await mkdir(dir, { recursive: true });
  const proc = startProcess({
    name: "nats",
    command: bin,
    args: ["-a", "127.0.0.1", "-p", String(options.port), "-js", "-sd", dir],
    readyLine: /Server is ready/,
    onLine: options.onLine,
  });
  return { proc, url: `nats://127.0.0.1:${options.port}` };
}

export interface ServicesOptions {
  mongoUrl: string;
  natsUrl: string;
  gatewayPort: number;
  identityPort: number;
  teamsPort: number;
  mongoDb?: string;
  /** Extra environment for every service. */
  env?: NodeJS.ProcessEnv;
  onLine?: ProcessSpec["onLine"];
  /**
   * Extra identity and teams processes (scale-out tests): each gets its own gRPC port and shares
   * the database, the durable consumers and the outbox with the first one.
   */
  extraReplicas?: { identityPorts: number[]; teamsPorts: number[] };
}

export interface RunningServices {
  gatewayUrl: string;
  identityAddress: string;
  teamsAddress: string;
  processes: Record<string, ManagedProcess>;
  stop(): Promise<void>;
}

/**
 * V8 flags of each service in the local stack (the Kubernetes manifests set their own). V8 sizes its
 * heap from the machine's memory (GBs here) and collects lazily, so RSS drifts far above what a
 * service uses (~50 MB live); an old-space cap alone also shrinks the young generation, which
 * doubled the gateway's CPU in garbage collection, hence the explicit semi-space (PERFORMANCE.md).
 */
const SERVICE_NODE_OPTIONS = "--max-old-space-size=128 --max-semi-space-size=16";

/**
 * Runs identity, teams and the gateway as supervised child processes under the same Node binary
 * as the caller, and resolves once the gateway's /readyz answers 200.
 */
export async function startServices(options: ServicesOptions): Promise<RunningServices> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MONGO_URL: options.mongoUrl,
    NATS_URL: options.natsUrl,
    MONGO_DB: options.mongoDb ?? "moodpoll",
    IDENTITY_GRPC_PORT: String(options.identityPort),
    TEAMS_GRPC_PORT: String(options.teamsPort),
    IDENTITY_ADDRESS: `127.0.0.1:${options.identityPort}`,
    TEAMS_ADDRESS: `127.0.0.1:${options.teamsPort}`,
    PORT: String(options.gatewayPort),
    NODE_OPTIONS: process.env["NODE_OPTIONS"] ?? SERVICE_NODE_OPTIONS,
    ...options.env,
  };
  const service = (name: string, extra: NodeJS.ProcessEnv = {}) =>
    startProcess({
      name,
      command: process.execPath,
      args: [join(ROOT, "services", name.replace(/-\d+$/, ""), "main.ts")],
      env: { ...env, ...extra },
      cwd: ROOT,
      restart: true,
      onLine: options.onLine,
    });
  const processes: Record<string, ManagedProcess> = {
    identity: service("identity"),
    teams: service("teams"),
    "scim-gateway": service("scim-gateway"),
  };
  options.extraReplicas?.identityPorts.forEach((port, i) => {
    processes[`identity-${i + 2}`] = service(`identity-${i + 2}`, { IDENTITY_GRPC_PORT: String(port) });
  });
  options.extraReplicas?.teamsPorts.forEach((port, i) => {
    processes[`teams-${i + 2}`] = service(`teams-${i + 2}`, { TEAMS_GRPC_PORT: String(port) });
  });
  const gatewayUrl = `http://127.0.0.1:${options.gatewayPort}`;
  const stop = async () => {
    // Gateway first (stop taking requests), then the services behind it.
    await processes["scim-gateway"]?.stop();
    await Promise.all(Object.entries(processes).map(([, p]) => p.stop()));
  };
  try {
    await waitForHttp(`${gatewayUrl}/readyz`, 90_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    gatewayUrl,
    identityAddress: `127.0.0.1:${options.identityPort}`,
    teamsAddress: `127.0.0.1:${options.teamsPort}`,
    processes,
    stop,
  };
}
