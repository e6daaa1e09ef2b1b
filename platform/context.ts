import { randomUUID } from "node:crypto";

/**
 * What every use case receives first: who is asking (tenant), which request this is (for logs and
 * events), and when to give up. The signal aborts when the caller goes away or the deadline passes.
 */
export interface RequestContext {
  readonly requestId: string;
  readonly tenantId: string;
  readonly signal: AbortSignal;
  /** Absolute deadline in epoch milliseconds, or undefined for none. */
  readonly deadline: number | undefined;
}

/** Milliseconds left before the deadline (at least 1), or `fallback` when there is no deadline. */
export function remainingMs(ctx: Pick<RequestContext, "deadline">, fallback = 30_000): number {
  return ctx.deadline === undefined ? fallback : Math.max(1, ctx.deadline - Date.now());
}

/** A context for background work (consumers, relays) that is not tied to an inbound request. */
export function backgroundContext(
  tenantId = "",
  signal: AbortSignal = new AbortController().signal,
): RequestContext {
  return { requestId: randomUUID(), tenantId, signal, deadline: undefined };
}
