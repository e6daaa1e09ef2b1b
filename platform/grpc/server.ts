import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { AppError, ErrorCode } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { MetadataKey, serviceDefinition } from "./definition.ts";
import { appErrorToStatus } from "./status.ts";

/** What a handler knows about its call besides the request message. */
export interface CallContext {
  readonly requestId: string;
  readonly signal: AbortSignal;
  readonly deadline: number | undefined;
  readonly logger: Logger;
}

type Method = GenServiceMethods[string];
type Unary<M extends Method> = (
  request: MessageShape<M["input"]>,
  call: CallContext,
) => Promise<MessageInitShape<M["output"]>>;
type ServerStreaming<M extends Method> = (
  request: MessageShape<M["input"]>,
  call: CallContext,
) => AsyncIterable<MessageInitShape<M["output"]>>;

/** A service implementation: one async function per RPC, typed from the generated descriptor. */
export type ServiceImpl<S extends GenServiceMethods> = {
  [K in keyof S]: S[K]["methodKind"] extends "server_streaming" ? ServerStreaming<S[K]> : Unary<S[K]>;
};

export interface GrpcServer {
  /** Registers handlers; an RPC without one answers UNIMPLEMENTED. */
  add<S extends GenServiceMethods>(service: GenService<S>, impl: Partial<ServiceImpl<S>>): void;
  /** Binds and starts serving; resolves to the bound port (useful with port 0 in tests). */
  listen(host: string, port: number): Promise<number>;
  /** Stops accepting calls, lets in-flight calls finish for up to `graceMs`, then cancels the rest. */
  shutdown(graceMs?: number): Promise<void>;
}

/** Creates a gRPC server whose handlers receive decoded messages and may throw {@link AppError}s. */
export function createGrpcServer(options: { logger: Logger }): GrpcServer {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 16 * 1024 * 1024 });
  const { logger } = options;

  function callContext(
    call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
    method: string,
  ): CallContext {
    const requestId = String(call.metadata.get(MetadataKey.RequestId)[0] ?? randomUUID());
    const controller = new AbortController();
    call.on("cancelled", () => controller.abort(new DOMException("Call cancelled", "AbortError")));
    const d = call.getDeadline();
    const deadline = d instanceof Date ? d.getTime() : Number.isFinite(d) ? d : undefined;
    return { requestId, signal: controller.signal, deadline, logger: logger.child({ requestId, method }) };
  }

  function failure(error: unknown, ctx: CallContext): Partial<grpc.StatusObject> {
    const appError = AppError.from(error);
    if (appError.code === ErrorCode.Internal) ctx.logger.error({ err: error }, "handler failed");
    else ctx.logger.debug({ code: appError.code, msg: appError.message }, "handler refused");
    return appErrorToStatus(appError);
  }

  return {
    add(service, impl) {
      const handlers: grpc.UntypedServiceImplementation = {};
      for (const method of service.methods) {
        const fn = (impl as Record<string, unknown>)[method.localName];
        if (fn === undefined) continue;
        const output: DescMessage = method.output;
        const name = `${service.typeName}/${method.name}`;
        if (method.methodKind === "server_streaming") {
          const stream = fn as ServerStreaming<Method>;
          const handler: grpc.handleServerStreamingCall<never, unknown> = (call) => {
            const ctx = callContext(call, name);
            void (async () => {
              try {
                for await (const item of stream(call.request, ctx)) call.write(create(output, item));
                call.end();
              } catch (error) {
                // Ending a server stream with a status goes through the 'error' event in grpc-js.
                if (!ctx.signal.aborted) call.emit("error", failure(error, ctx));
              }
            })();
          };
          handlers[method.localName] = handler as grpc.UntypedHandleCall;
        } else {
          const unary = fn as Unary<Method>;
          const handler: grpc.handleUnaryCall<never, unknown> = (call, callback) => {
            const ctx = callContext(call, name);
            unary(call.request, ctx).then(
              (result) => callback(null, create(output, result)),
              (error: unknown) => callback(failure(error, ctx)),
            );
          };
          handlers[method.localName] = handler as grpc.UntypedHandleCall;
        }
      }
      server.addService(serviceDefinition(service), handlers);
    },
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
          error ? reject(error) : resolve(bound),
        );
      });
    },
    shutdown(graceMs = 10_000) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
