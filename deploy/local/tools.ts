import { execFile, spawn } from "node:child_process";
import { access, chmod, cp, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { constants } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Pinned versions of the development servers (ENVIRONMENT.md has why these two). */
export const TOOL_VERSIONS = {
  ferretdb: "v1.24.2",
  /** Our build of it: the module plus the patch described at {@link patchFerretDb}. */
  ferretdbBuild: "v1.24.2-moodpoll.1",
  natsServer: "v2.12.1",
  // 5.8 needs Go 1.27; 5.7.1 builds with the Go 1.26 these machines have.
  kustomize: "v5.7.1",
} as const;

/** Where built tools are cached: git-ignored `.tools/bin` in the checkout, or TOOLS_DIR. */
export function toolsDir(): string {
  return resolve(process.env["TOOLS_DIR"] ?? join(import.meta.dirname, "..", "..", ".tools"));
}

/** Thrown when a tool cannot be installed; the message says what to do. */
export class ToolInstallError extends Error {
  override name = "ToolInstallError";
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function goEnv(): Promise<NodeJS.ProcessEnv> {
  try {
    await run("go", ["version"]);
  } catch {
    throw new ToolInstallError(
      "Go is needed once to build the embedded MongoDB-compatible (FerretDB) and NATS servers, and `go` " +
        "is not on PATH. Install Go >= 1.24, or set MONGO_URL and NATS_URL to servers you already run.",
    );
  }
  return { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-trimpath -buildvcs=false" };
}

function step(message: string, log: (line: string) => void): void {
  log(`moodpoll: ${message}`);
}

async function goBuild(args: string[], cwd: string, env: NodeJS.ProcessEnv, what: string): Promise<void> {
  const child = spawn("go", args, { cwd, env, stdio: ["ignore", "inherit", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new ToolInstallError(`Building ${what} with Go failed:\n${stderr.slice(-2000)}`);
}

/**
 * FerretDB 1.24 (MongoDB wire protocol on SQLite). `go install` of this module gives a binary that
 * panics at start (build/version/version.txt is missing from the module zip), so it is built from
 * a writable copy of the module with that file written in.
 */
export async function ensureFerretDb(log: (line: string) => void = console.error): Promise<string> {
  const bin = join(toolsDir(), "bin", `ferretdb-${TOOL_VERSIONS.ferretdbBuild}`);
  if (await executable(bin)) return bin;
  const env = await goEnv();
  step(`building FerretDB ${TOOL_VERSIONS.ferretdb} with Go (first run only, ~2 minutes)...`, log);
  const { stdout } = await run(
    "go",
    ["mod", "download", "-json", `github.com/FerretDB/FerretDB@${TOOL_VERSIONS.ferretdb}`],
    {
      env,
      maxBuffer: 1 << 20,
    },
  ).catch((error: unknown) => {
    throw new ToolInstallError(`Cannot download FerretDB from the Go module proxy: ${String(error)}`);
  });
  const moduleDir = (JSON.parse(stdout) as { Dir: string }).Dir;
  const src = join(toolsDir(), "src", `ferretdb-${TOOL_VERSIONS.ferretdb}`);
  await rm(src, { recursive: true, force: true });
  await mkdir(src, { recursive: true });
  await cp(moduleDir, src, { recursive: true });
  await run("chmod", ["-R", "u+w", src]);
  await writeFile(join(src, "build", "version", "version.txt"), `${TOOL_VERSIONS.ferretdb}\n`);
  await patchFerretDb(src);
  await mkdir(join(toolsDir(), "bin"), { recursive: true });
  await goBuild(["build", "-o", `${bin}.tmp`, "./cmd/ferretdb"], src, env, "FerretDB");
  await rename(`${bin}.tmp`, bin);
  await rm(src, { recursive: true, force: true });
  step("FerretDB built", log);
  return bin;
}

/**
 * FerretDB 1.24's SQLite backend looks documents up by `_ferretdb_sjson->'$._id'`, but creates its
 * unique `_id` index on `_ferretdb_sjson->"_id"`. SQLite matches index expressions by their text,
 * so every `_id` lookup, update and delete scanned the whole table (EXPLAIN QUERY PLAN: `SCAN`);
 * cost grew with the collection (docs/PERFORMANCE.md). Both expressions extract the same value, so
 * the lookup is rewritten to the index's form (`->'_id'`, plan: `SEARCH … USING INDEX`).
 */
async function patchFerretDb(src: string): Promise<void> {
  const file = join(src, "internal", "backends", "sqlite", "metadata", "metadata.go");
  const text = await readFile(file, "utf8");
  const from = `IDColumn = DefaultColumn + "->'$._id'"`;
  if (!text.includes(from))
    throw new ToolInstallError(`Cannot patch FerretDB: "${from}" not found in ${file}`);
  await writeFile(file, text.replace(from, `IDColumn = DefaultColumn + "->'_id'"`));
}

/** nats-server with JetStream, built statically from the Go module proxy. */
export async function ensureNatsServer(log: (line: string) => void = console.error): Promise<string> {
  const bin = join(toolsDir(), "bin", `nats-server-${TOOL_VERSIONS.natsServer}`);
  if (await executable(bin)) return bin;
  const env = await goEnv();
  const gobin = join(toolsDir(), "gobin");
  step(`building nats-server ${TOOL_VERSIONS.natsServer} with Go (first run only, ~2 minutes)...`, log);
  await mkdir(join(toolsDir(), "bin"), { recursive: true });
  await goBuild(
    ["install", `github.com/nats-io/nats-server/v2@${TOOL_VERSIONS.natsServer}`],
    toolsDir(),
    { ...env, GOBIN: gobin },
    "nats-server",
  );
  await rename(join(gobin, "nats-server"), bin);
  await chmod(bin, 0o755);
  step("nats-server built", log);
  return bin;
}

/** kustomize, to render the Kubernetes overlays in `npm test` (deploy/README.md "Validation"). */
export async function ensureKustomize(log: (line: string) => void = console.error): Promise<string> {
  const bin = join(toolsDir(), "bin", `kustomize-${TOOL_VERSIONS.kustomize}`);
  if (await executable(bin)) return bin;
  const env = await goEnv();
  const gobin = join(toolsDir(), "gobin");
  step(`building kustomize ${TOOL_VERSIONS.kustomize} with Go (first run only, ~1 minute)...`, log);
  await mkdir(join(toolsDir(), "bin"), { recursive: true });
  await goBuild(
    ["install", `sigs.k8s.io/kustomize/kustomize/v5@${TOOL_VERSIONS.kustomize}`],
    toolsDir(),
    { ...env, GOBIN: gobin },
    "kustomize",
  );
  await rename(join(gobin, "kustomize"), bin);
  step("kustomize built", log);
  return bin;
}
