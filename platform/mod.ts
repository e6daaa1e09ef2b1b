/** Shared plumbing with no product knowledge. Services import from here, never deeper. */
export { AppError, ErrorCode, errors, isErrorCode } from "./errors.ts";
export { ConfigError, loadConfig, redact, type EnvReader } from "./config.ts";
export { createLogger, type Logger } from "./logger.ts";
export { backgroundContext, remainingMs, type RequestContext } from "./context.ts";
export { createGrpcServer, type CallContext, type GrpcServer, type ServiceImpl } from "./grpc/server.ts";
export { createChannel, type CallOptions, type Channel, type Client } from "./grpc/client.ts";
export { addHealthService, isServing, type HealthStatus } from "./grpc/health.ts";
export { MetadataKey } from "./grpc/definition.ts";
export {
  connectMongo,
  isDuplicateKey,
  unsupportedQuery,
  type IndexSpecs,
  type MongoHandle,
} from "./mongo.ts";
export { connectNats, ensureStreams, EVENT_STREAM, PARKED_STREAM, type NatsHandle } from "./nats.ts";
export {
  startConsumer,
  retryDelayMs,
  type ConsumerSpec,
  type InboundEvent,
  type RunningConsumer,
} from "./consumer.ts";
export {
  createOutbox,
  eventsOnly,
  type Applier,
  type ApplyResult,
  type Intent,
  type Outbox,
  type OutboxEvent,
} from "./outbox.ts";
export { registerShutdown, exitOnStartupError, type ShutdownStep } from "./shutdown.ts";
export { runService, readServiceConfig, type ServiceDeps, type ServiceParts } from "./service_host.ts";
export { decodeEvent, eventMeta, outboxEvent, Subject } from "./events.ts";
export { filterToMongo, type FieldMap, type FieldMapping } from "./filter_to_mongo.ts";
export { deleteByIds, findByIds } from "./by_id.ts";
export { createInsertBatcher, DuplicateKeyError, type InsertBatcher } from "./insert_batcher.ts";
