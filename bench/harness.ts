import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  freePort,
  startFerretDb,
  startNats,
  startServices,
  type RunningServices,
} from "../deploy/local/stack.ts";
import type { ManagedProcess } from "../deploy/local/processes.ts";

/** A fresh local stack (embedded FerretDB + NATS + the three services) in a temporary folder. */
export interface BenchStack extends AsyncDisposable {
  services: RunningServices;
  mongoUrl: string;
  natsUrl: string;
  scimUrl: string;
  /** Every process of the stack by name: the three services, ferretdb and nats. */
  pids(): Record<string, number | undefined>;
}

export async function startBenchStack(env: NodeJS.ProcessEnv = {}): Promise<BenchStack> {
  const dataDir = await mkdtemp(join(tmpdir(), "moodpoll-bench-"));
  const quiet = () => undefined;
  const [mongoPort, natsPort, gatewayPort, identityPort, teamsPort] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const servers: ManagedProcess[] = [];
  const ferret = await startFerretDb({ dataDir, port: mongoPort!, onLine: quiet });
  servers.push(ferret.proc);
  const nats = await startNats({ dataDir, port: natsPort!, onLine: quiet });
  servers.push(nats.proc);
  await Promise.all([ferret.proc.ready, nats.proc.ready]);
  const services = await startServices({
    mongoUrl: ferret.url,
    natsUrl: nats.url,
    gatewayPort: gatewayPort!,
    identityPort: identityPort!,
    teamsPort: teamsPort!,
    env: {
      LOG_LEVEL: process.env["BENCH_LOGS"] === "1" ? "info" : "warn",
      // e.g. "--max-old-space-size=128 --max-semi-space-size=16 --cpu-prof --cpu-prof-dir=/tmp/prof"
      ...(process.env["BENCH_SERVICE_NODE_OPTIONS"]
        ? { NODE_OPTIONS: process.env["BENCH_SERVICE_NODE_OPTIONS"] }
        : {}),
      ...env,
    },
    // Errors only, or every line with BENCH_LOGS=1 (on stderr, as progress lines are).
    onLine: (name, line) => {
      if (process.env["BENCH_LOGS"] === "1" || /"level":"(error|fatal)"/.test(line))
        console.error(`[${name}] ${line.slice(0, 300)}`);
    },
  });
  return {
    services,
    mongoUrl: ferret.url,
    natsUrl: nats.url,
    scimUrl: `${services.gatewayUrl}/scim/v2`,
    pids: () => ({
      ...Object.fromEntries(Object.entries(services.processes).map(([name, p]) => [name, p?.pid()])),
      ferretdb: ferret.proc.pid(),
      nats: nats.proc.pid(),
    }),
    async [Symbol.asyncDispose]() {
      await services.stop();
      await Promise.all(servers.map((s) => s.stop()));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resident memory of a process in MB (Linux /proc). */
export async function rssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round(kb / 1024);
}

/** CPU seconds (user + system) each process has used so far (Linux /proc). */
export async function cpuSeconds(pids: Record<string, number | undefined>): Promise<Record<string, number>> {
  const ticksPerSecond = 100; // USER_HZ on Linux
  const entries = await Promise.all(
    Object.entries(pids).map(async ([name, pid]) => {
      if (pid === undefined) return [name, Number.NaN] as const;
      const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
      return [name, (Number(fields[11]) + Number(fields[12])) / ticksPerSecond] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * Measures the CPU the stack spends on a phase, per process and in total, in ms per operation: a
 * figure that stays put on a noisy machine where throughput does not.
 */
export async function cpuDuring<T>(
  stack: Pick<BenchStack, "pids">,
  operations: number,
  phase: () => Promise<T>,
): Promise<{ result: T; cpuMsPerOp: Record<string, number> }> {
  const before = await cpuSeconds(stack.pids());
  const result = await phase();
  const after = await cpuSeconds(stack.pids());
  const perOp: Record<string, number> = {};
  let total = 0;
  for (const [name, seconds] of Object.entries(after)) {
    const ms = ((seconds - (before[name] ?? 0)) * 1000) / operations;
    perOp[name] = Math.round(ms * 100) / 100;
    total += ms;
  }
  perOp["total"] = Math.round(total * 100) / 100;
  return { result, cpuMsPerOp: perOp };
}

/** Latency percentiles in ms. */
export function percentiles(samples: number[]): { p50: number; p95: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}

/** Runs `task(i)` for i in [0, n) with `concurrency` workers; returns per-task latencies (ms) and wall time. */
export async function runConcurrent(
  n: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        const t = performance.now();
        await task(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

const benchStart = performance.now();
/** A progress line on stderr (stdout carries only the JSON result). */
export function progress(message: string): void {
  console.error(`[${((performance.now() - benchStart) / 1000).toFixed(1)} s] ${message}`);
}
