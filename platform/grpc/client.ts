import * as grpc from "@grpc/grpc-js";
import { create, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { AppError, errors } from "../errors.ts";
import { MetadataKey, serviceDefinition } from "./definition.ts";
import { statusToAppError } from "./status.ts";

/** Per-call options: the request id travels as metadata, the deadline becomes the gRPC deadline. */
export interface CallOptions {
  requestId?: string;
  /** Absolute deadline in epoch milliseconds. */
  deadline?: number;
  signal?: AbortSignal;
}

/** A typed client: one promise-returning function per unary RPC of the service. */
export type Client<S extends GenServiceMethods> = {
  [K in keyof S]: (
    request: MessageInitShape<S[K]["input"]>,
    options?: CallOptions,
  ) => Promise<MessageShape<S[K]["output"]>>;
};

/** A connection to one gRPC server that several typed clients can share. */
export interface Channel {
  readonly address: string;
  client<S extends GenServiceMethods>(service: GenService<S>): Client<S>;
  /** Resolves when the channel is connected, rejects after `timeoutMs`. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Opens a channel (insecure: traffic stays inside the cluster network, see deploy/README.md). */
export function createChannel(address: string): Channel {
  const raw = new grpc.Client(address, grpc.credentials.createInsecure(), {
    "grpc.keepalive_time_ms": 30_000,
    "grpc.max_receive_message_length": 16 * 1024 * 1024,
  });
  return {
    address,
    client<S extends GenServiceMethods>(service: GenService<S>): Client<S> {
      const definition = serviceDefinition(service);
      const client: Record<string, unknown> = {};
      for (const method of service.methods) {
        const def = definition[method.localName];
        if (!def || method.methodKind !== "unary") continue;
        client[method.localName] = (
          request: MessageInitShape<typeof method.input>,
          options: CallOptions = {},
        ) =>
          new Promise((resolve, reject) => {
            if (options.signal?.aborted) {
              reject(AppError.from(options.signal.reason));
              return;
            }
            const metadata = new grpc.Metadata();
            if (options.requestId) metadata.set(MetadataKey.RequestId, options.requestId);
            const deadline = options.deadline ?? Date.now() + DEFAULT_TIMEOUT_MS;
            const call = raw.makeUnaryRequest(
              def.path,
              def.requestSerialize,
              def.responseDeserialize,
              create(method.input, request),
              metadata,
              { deadline },
              (error, response) => {
                options.signal?.removeEventListener("abort", cancel);
                if (error) reject(statusToAppError(error));
                else resolve(response);
              },
            );
            const cancel = () => call.cancel();
            options.signal?.addEventListener("abort", cancel, { once: true });
          });
      }
      return client as Client<S>;
    },
    waitForReady(timeoutMs) {
      return new Promise((resolve, reject) => {
        raw.waitForReady(Date.now() + timeoutMs, (error) =>
          error ? reject(errors.unavailable(`gRPC server ${address} is not reachable`, error)) : resolve(),
        );
      });
    },
    close() {
      raw.close();
    },
  };
}
