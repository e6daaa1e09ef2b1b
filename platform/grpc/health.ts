import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  Health,
} from "../../gen/grpc/health/v1/health_pb.ts";
import type { GrpcServer } from "./server.ts";
import type { Channel } from "./client.ts";

/** Readiness as seen by the standard gRPC health protocol (Kubernetes gRPC probes use `Check`). */
export interface HealthStatus {
  setServing(serving: boolean): void;
}

/**
 * Serves grpc.health.v1.Health. The overall status ("" service) and each named service share one
 * flag: a process is ready when its dependencies are, and not ready from the start of shutdown.
 */
export function addHealthService(server: GrpcServer, serviceNames: readonly string[]): HealthStatus {
  let serving = false;
  const known = new Set(["", ...serviceNames]);
  const statusOf = (service: string) =>
    !known.has(service)
      ? ServingStatus.SERVICE_UNKNOWN
      : serving
        ? ServingStatus.SERVING
        : ServingStatus.NOT_SERVING;
  server.add(Health, {
    check: (request) => Promise.resolve({ status: statusOf(request.service) }),
    watch: async function* (request, call) {
      let last: ServingStatus | undefined;
      while (!call.signal.aborted) {
        const now = statusOf(request.service);
        if (now !== last) yield { status: now };
        last = now;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    },
  });
  return {
    setServing(value) {
      serving = value;
    },
  };
}

/** Asks a gRPC server whether it is serving; false on any error (used by the gateway's /readyz). */
export async function isServing(channel: Channel, timeoutMs = 1000): Promise<boolean> {
  try {
    const response = await channel
      .client(Health)
      .check({ service: "" }, { deadline: Date.now() + timeoutMs });
    return response.status === ServingStatus.SERVING;
  } catch {
    return false;
  }
}
