/**
 * The one family of domain errors. Services throw these; the gRPC adapter maps them to a status
 * (server side) and back (client side), and the gateway maps them to SCIM errors. Anything else
 * that escapes a handler is an internal error: logged with its cause, never leaked to a caller.
 */
export const ErrorCode = {
  InvalidArgument: "invalid_argument",
  InvalidValue: "invalid_value",
  /** A filter the store cannot run (e.g. a construct FerretDB does not implement). */
  InvalidFilter: "invalid_filter",
  Mutability: "mutability",
  Uniqueness: "uniqueness",
  NotFound: "not_found",
  PreconditionFailed: "precondition_failed",
  Unauthenticated: "unauthenticated",
  Unavailable: "unavailable",
  DeadlineExceeded: "deadline_exceeded",
  Internal: "internal",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const codes = new Set<string>(Object.values(ErrorCode));

/** Returns true when `value` names an {@link ErrorCode}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && codes.has(value);
}

/** A domain error with a code and a message that is safe to show to the caller. */
export class AppError extends Error {
  override name = "AppError";
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  /** Normalises anything thrown into an AppError; unknown errors become Internal with a cause. */
  static from(error: unknown): AppError {
    if (error instanceof AppError) return error;
    if (error instanceof Error && error.name === "AbortError") {
      return new AppError(ErrorCode.DeadlineExceeded, "The request was cancelled or timed out", {
        cause: error,
      });
    }
    return new AppError(ErrorCode.Internal, "Internal error", { cause: error });
  }
}

/** Shorthand constructors so call sites read as the rule they enforce. */
export const errors = {
  notFound: (message: string) => new AppError(ErrorCode.NotFound, message),
  uniqueness: (message: string) => new AppError(ErrorCode.Uniqueness, message),
  invalidValue: (message: string) => new AppError(ErrorCode.InvalidValue, message),
  invalidArgument: (message: string) => new AppError(ErrorCode.InvalidArgument, message),
  invalidFilter: (message: string) => new AppError(ErrorCode.InvalidFilter, message),
  mutability: (message: string) => new AppError(ErrorCode.Mutability, message),
  preconditionFailed: (message: string) => new AppError(ErrorCode.PreconditionFailed, message),
  unauthenticated: (message: string) => new AppError(ErrorCode.Unauthenticated, message),
  unavailable: (message: string, cause?: unknown) => new AppError(ErrorCode.Unavailable, message, { cause }),
};
