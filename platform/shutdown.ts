import type { Logger } from "./logger.ts";

/** One step of an ordered shutdown, e.g. "stop accepting" or "close MongoDB". */
export interface ShutdownStep {
  readonly name: string;
  run(): Promise<void> | void;
}

/**
 * Runs the steps in order on SIGTERM or SIGINT (once), each bounded by the overall timeout, then
 * exits. The order in every main.ts is: mark not ready → stop accepting → finish in-flight →
 * drain consumers → close NATS → close MongoDB (STYLE.md §10). A second signal exits at once.
 */
export function registerShutdown(logger: Logger, steps: readonly ShutdownStep[], timeoutMs = 20_000): void {
  let stopping = false;
  const run = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, "second signal, exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      logger.error("shutdown timed out, exiting");
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    let code = 0;
    for (const step of steps) {
      try {
        await step.run();
        logger.debug({ step: step.name }, "shutdown step done");
      } catch (error) {
        code = 1;
        logger.error({ err: error, step: step.name }, "shutdown step failed");
      }
    }
    logger.info("stopped");
    process.exit(code);
  };
  process.on("SIGTERM", (signal) => void run(signal));
  process.on("SIGINT", (signal) => void run(signal));
}

/** Logs a start-up failure as one clear line (no stack for expected problems) and exits 1. */
export function exitOnStartupError(logger: Logger, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  logger.fatal({ err: error }, `cannot start: ${message}`);
  process.exit(1);
}
