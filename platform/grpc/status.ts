import { Metadata, status, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import { AppError, ErrorCode, isErrorCode } from "../errors.ts";
import { MetadataKey } from "./definition.ts";

const toStatus: Record<ErrorCode, status> = {
  [ErrorCode.InvalidArgument]: status.INVALID_ARGUMENT,
  [ErrorCode.InvalidValue]: status.INVALID_ARGUMENT,
  [ErrorCode.InvalidFilter]: status.INVALID_ARGUMENT,
  [ErrorCode.Mutability]: status.INVALID_ARGUMENT,
  [ErrorCode.Uniqueness]: status.ALREADY_EXISTS,
  [ErrorCode.NotFound]: status.NOT_FOUND,
  [ErrorCode.PreconditionFailed]: status.FAILED_PRECONDITION,
  [ErrorCode.Unauthenticated]: status.UNAUTHENTICATED,
  [ErrorCode.Unavailable]: status.UNAVAILABLE,
  [ErrorCode.DeadlineExceeded]: status.DEADLINE_EXCEEDED,
  [ErrorCode.Internal]: status.INTERNAL,
};

/** Domain error → gRPC status (the service-side mapping point). The domain code rides in metadata. */
export function appErrorToStatus(error: AppError): Partial<StatusObject> {
  const metadata = new Metadata();
  metadata.set(MetadataKey.ErrorCode, error.code);
  const details = error.code === ErrorCode.Internal ? "Internal error" : error.message;
  return { code: toStatus[error.code], details, metadata };
}

const fromStatus: Partial<Record<status, ErrorCode>> = {
  [status.INVALID_ARGUMENT]: ErrorCode.InvalidArgument,
  [status.ALREADY_EXISTS]: ErrorCode.Uniqueness,
  [status.NOT_FOUND]: ErrorCode.NotFound,
  [status.FAILED_PRECONDITION]: ErrorCode.PreconditionFailed,
  [status.UNAUTHENTICATED]: ErrorCode.Unauthenticated,
  [status.UNAVAILABLE]: ErrorCode.Unavailable,
  [status.DEADLINE_EXCEEDED]: ErrorCode.DeadlineExceeded,
  [status.CANCELLED]: ErrorCode.DeadlineExceeded,
};

/** gRPC error → domain error (the client-side mapping point), keeping the original as cause. */
export function statusToAppError(error: ServiceError): AppError {
  const sent = error.metadata?.get(MetadataKey.ErrorCode)[0];
  const code = isErrorCode(sent) ? sent : (fromStatus[error.code] ?? ErrorCode.Internal);
  const message = code === ErrorCode.Internal ? "Internal error in a backend service" : error.details;
  return new AppError(code, message || error.message, { cause: error });
}
