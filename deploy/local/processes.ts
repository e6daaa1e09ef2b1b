import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

/** A child process started by the local stack, optionally restarted when it exits unexpectedly. */
export interface ManagedProcess {
  readonly name: string;
  /** Resolves when the ready line was seen (or at once when none is expected). */
  readonly ready: Promise<void>;
  pid(): number | undefined;
  restarts(): number;
  /** SIGTERM, then SIGKILL after `graceMs`; no restart afterwards. */
  stop(graceMs?: number): Promise<void>;
}

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A line on stdout or stderr that means "ready" (servers without a health endpoint). */
  readyLine?: RegExp;
  /** Restart with backoff (1 s doubling to 10 s) when the process exits on its own. */
  restart?: boolean;
  /** Receives every output line; defaults to printing it prefixed with the name. */
  onLine?: (name: string, line: string) => void;
  readyTimeoutMs?: number;
}

const defaultOnLine = (name: string, line: string) => process.stdout.write(`[${name}] ${line}\n`);

/** Starts and supervises one process. */
export function startProcess(spec: ProcessSpec): ManagedProcess {
  const onLine = spec.onLine ?? defaultOnLine;
  let child: ChildProcess | undefined;
  let stopping = false;
  let restarts = 0;
  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined);
  let isReady = !spec.readyLine;
  if (isReady) resolveReady();
  const timeout = setTimeout(() => {
    if (!isReady) rejectReady(new Error(`${spec.name} did not become ready in time`));
  }, spec.readyTimeoutMs ?? 60_000);
  timeout.unref();

  const launch = () => {
    const started = Date.now();
    child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on("line", (line) => {
        onLine(spec.name, line);
        if (!isReady && spec.readyLine?.test(line)) {
          isReady = true;
          resolveReady();
        }
      });
    }
    child.on("error", (error) => onLine(spec.name, `cannot start: ${error.message}`));
    child.on("exit", (code, signal) => {
      if (stopping) return;
      onLine(spec.name, `exited unexpectedly (code ${code ?? "none"}, signal ${signal ?? "none"})`);
      if (!spec.restart) {
        if (!isReady) rejectReady(new Error(`${spec.name} exited before it was ready (code ${code})`));
        return;
      }
      // Reset the backoff once a process has stayed up for a minute.
      if (Date.now() - started > 60_000) restarts = 0;
      const delay = Math.min(10_000, 1000 * 2 ** restarts);
      restarts += 1;
      onLine(spec.name, `restarting in ${delay} ms`);
      setTimeout(() => {
        if (!stopping) launch();
      }, delay);
    });
  };
  launch();

  return {
    name: spec.name,
    ready,
    pid: () => child?.pid,
    restarts: () => restarts,
    async stop(graceMs = 15_000) {
      stopping = true;
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => current.once("exit", () => resolve()));
      current.kill("SIGTERM");
      const timer = setTimeout(() => current.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 200, or throws after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    if (signal?.aborted) throw new Error("cancelled");
    if (Date.now() > end) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
