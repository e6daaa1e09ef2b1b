// `npm test`: static checks (types, lint, format, proto lint and freshness), unit tests, then the
// integration and end-to-end suites against real servers in containers. Ends with one line
// `N passed, M failed` counting every check and test that ran (also written to .data/test-summary).
import "../platform/require_node.ts";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { prepareContainerRuntime } from "../tests/harness/container_runtime.ts";

const ROOT = resolve(import.meta.dirname, "..");
const BIN = join(ROOT, "node_modules", ".bin");
// Every child (ava workers, eslint, buf's launcher) runs under the pinned Node 24.
const baseEnv: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: `${BIN}:${process.env["PATH"] ?? ""}`,
  FORCE_COLOR: "0",
};
const args = new Set(process.argv.slice(2));
const only = (name: string) => args.size === 0 || args.has(name);

let passed = 0;
let failed = 0;
const failures: string[] = [];

function exec(
  command: string,
  argv: string[],
  env = baseEnv,
  onLine?: (line: string) => void,
): Promise<number> {
  return new Promise((resolveCode) => {
    const child = spawn(command, argv, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let buffered = "";
    const forward = (chunk: Buffer, stream: NodeJS.WriteStream) => {
      stream.write(chunk);
      if (!onLine) return;
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      lines.forEach(onLine);
    };
    child.stdout.on("data", (c: Buffer) => forward(c, process.stdout));
    child.stderr.on("data", (c: Buffer) => forward(c, process.stderr));
    child.on("close", (code) => {
      if (buffered && onLine) onLine(buffered);
      resolveCode(code ?? 1);
    });
  });
}

async function check(name: string, command: string, argv: string[]): Promise<void> {
  console.log(`\n== ${name}: ${command} ${argv.join(" ")}`);
  const code = await exec(command, argv);
  if (code === 0) passed += 1;
  else {
    failed += 1;
    failures.push(name);
  }
}

async function listFiles(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path), await readFile(path, "utf8"));
  }
  return files;
}

/** Regenerates the protobuf code into a temporary folder and compares it with gen/. */
async function protoFresh(): Promise<void> {
  console.log("\n== generated code is fresh: buf generate into a temporary folder, compare with gen/");
  const out = await mkdtemp(join(tmpdir(), "moodpoll-gen-"));
  try {
    const code = await exec(join(BIN, "buf"), ["generate", "-o", out]);
    const fresh = code === 0 ? await listFiles(join(out, "gen")) : new Map<string, string>();
    const committed = await listFiles(join(ROOT, "gen"));
    const stale = [...new Set([...fresh.keys(), ...committed.keys()])].filter(
      (f) => fresh.get(f) !== committed.get(f),
    );
    if (code === 0 && stale.length === 0) passed += 1;
    else {
      failed += 1;
      failures.push("generated code is fresh");
      console.log(`stale generated files (run \`npm run generate\`): ${stale.join(", ")}`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** Runs ava with the TAP reporter and counts its results. */
async function ava(name: string, globs: string[], env: NodeJS.ProcessEnv = baseEnv): Promise<void> {
  console.log(`\n== ${name}`);
  let pass = 0;
  let fail = 0;
  const code = await exec(
    process.execPath,
    [join(ROOT, "node_modules", "ava", "entrypoints", "cli.mjs"), "--tap", ...globs],
    env,
    (line) => {
      if (/^ok \d+/.test(line) && !/# SKIP/.test(line)) pass += 1;
      else if (/^not ok \d+/.test(line)) {
        fail += 1;
        failures.push(`${name}: ${line.replace(/^not ok \d+ - /, "")}`);
      }
    },
  );
  if (code !== 0 && fail === 0) {
    fail = 1;
    failures.push(`${name}: the test runner exited with code ${code}`);
  }
  passed += pass;
  failed += fail;
}

const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const eslint = join(ROOT, "node_modules", "eslint", "bin", "eslint.js");
const prettier = join(ROOT, "node_modules", "prettier", "bin", "prettier.cjs");

if (only("static")) {
  await check("type check", process.execPath, [tsc, "--noEmit"]);
  await check("lint", process.execPath, [eslint, "."]);
  await check("format", process.execPath, [prettier, "--check", "."]);
  await check("proto lint", join(BIN, "buf"), ["lint"]);
  await protoFresh();
}
if (only("unit")) await ava("unit tests", ["{platform,services,deploy,scripts}/**/*_test.ts"]);
if (only("integration")) {
  let env: NodeJS.ProcessEnv | undefined;
  try {
    env = { ...baseEnv, ...(await prepareContainerRuntime((line) => console.log(line))) };
  } catch (error) {
    failed += 1;
    failures.push(`container runtime: ${(error as Error).message}`);
  }
  if (env) await ava("integration and end-to-end tests", ["tests/**/*.test.ts"], env);
}

const summary = `${passed} passed, ${failed} failed`;
if (failures.length > 0) console.log(`\nFailed:\n  - ${failures.join("\n  - ")}`);
await mkdir(join(ROOT, ".data"), { recursive: true });
await writeFile(join(ROOT, ".data", "test-summary"), `${summary}\n`);
console.log(`\n${summary}`);
process.exit(failed === 0 ? 0 : 1);
