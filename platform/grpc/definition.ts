import type { ServiceDefinition } from "@grpc/grpc-js";
import { fromBinary, toBinary, type DescService, type Message } from "@bufbuild/protobuf";

/**
 * Adapts a protoc-gen-es service descriptor to a grpc-js ServiceDefinition: the path is
 * `/package.Service/Method` and (de)serialisation is protobuf binary, so any gRPC peer interoperates.
 */
export function serviceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, ServiceDefinition[string]> = {};
  for (const method of service.methods) {
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.localName,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: (message: Message) => Buffer.from(toBinary(method.input, message)),
      requestDeserialize: (bytes: Buffer) => fromBinary(method.input, bytes),
      responseSerialize: (message: Message) => Buffer.from(toBinary(method.output, message)),
      responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
    };
  }
  return definition;
}

/** gRPC metadata keys this project uses. */
export const MetadataKey = {
  RequestId: "x-request-id",
  /** The domain {@link ErrorCode} of a failed call, so the gateway can pick the SCIM scimType. */
  ErrorCode: "x-error-code",
} as const;
