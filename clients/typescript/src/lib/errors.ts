// Failed calls as typed errors: the gRPC code, the ErrorInfo reason (orders.v1.ErrorReason)
// and metadata, and every BadRequest field violation. Subclasses name the reason's family, so
// callers write `if (error instanceof NotFound)`.
import { Code, ConnectError } from "@connectrpc/connect";

import { ErrorReason } from "../gen/orders/v1/errors_pb.js";
import { errorInfo, fieldViolations, type FieldViolation } from "./status-details.js";

export const DOMAIN = "orders.v1";

export class OrdersError extends Error {
  constructor(
    readonly code: Code,
    readonly reason: ErrorReason,
    // The reason as sent: a newer server's reason this library does not know keeps its name.
    readonly reasonName: string,
    readonly rawMessage: string,
    readonly metadata: Readonly<Record<string, string>>,
    readonly fieldViolations: readonly FieldViolation[],
    options?: { cause?: unknown },
  ) {
    super(`${Code[code]} ${reasonName || "no reason"}: ${rawMessage}`, options);
    this.name = new.target.name;
  }

  /** Description per violated field path, e.g. "lines[0].quantity". */
  get violations(): Record<string, string> {
    return Object.fromEntries(this.fieldViolations.map((v) => [v.field, v.description]));
  }
}

export class ValidationFailed extends OrdersError {}
export class InvalidRequest extends ValidationFailed {}
export class NotFound extends OrdersError {}
export class OrderNotFound extends NotFound {}
export class CustomerNotFound extends NotFound {}
export class ParkedEventNotFound extends NotFound {}
export class AlreadyExists extends OrdersError {}
export class OrderAlreadyExists extends AlreadyExists {}
export class CustomerAlreadyExists extends AlreadyExists {}
export class IdempotencyKeyReused extends AlreadyExists {}
export class Refused extends OrdersError {}
export class IllegalTransition extends Refused {}
export class RebuildInProgress extends Refused {}
export class ConcurrencyConflict extends OrdersError {}
export class Unavailable extends OrdersError {}
export class EventStoreUnavailable extends Unavailable {}
export class ReadStoreUnavailable extends Unavailable {}
export class ServiceStopping extends Unavailable {}
export class DeadlineExceeded extends OrdersError {}
export class ConsistencyNotReached extends DeadlineExceeded {}
export class InternalError extends OrdersError {}
export class StreamUnreadable extends OrdersError {}
export class Unauthenticated extends OrdersError {}
export class TokenMissing extends Unauthenticated {}
export class TokenExpired extends Unauthenticated {}
export class TokenInvalid extends Unauthenticated {}
export class PermissionDenied extends OrdersError {}
export class ScopeInsufficient extends PermissionDenied {}
export class CustomerMismatch extends PermissionDenied {}

type ErrorClass = typeof OrdersError;

export const ERROR_CLASSES: Readonly<Record<Exclude<ErrorReason, ErrorReason.ERROR_REASON_UNSPECIFIED>, ErrorClass>> = {
  [ErrorReason.INVALID_REQUEST]: InvalidRequest,
  [ErrorReason.ORDER_NOT_FOUND]: OrderNotFound,
  [ErrorReason.CUSTOMER_NOT_FOUND]: CustomerNotFound,
  [ErrorReason.ORDER_ALREADY_EXISTS]: OrderAlreadyExists,
  [ErrorReason.CUSTOMER_ALREADY_EXISTS]: CustomerAlreadyExists,
  [ErrorReason.IDEMPOTENCY_KEY_REUSED]: IdempotencyKeyReused,
  [ErrorReason.ILLEGAL_TRANSITION]: IllegalTransition,
  [ErrorReason.CONCURRENCY_CONFLICT]: ConcurrencyConflict,
  [ErrorReason.EVENT_STORE_UNAVAILABLE]: EventStoreUnavailable,
  [ErrorReason.READ_STORE_UNAVAILABLE]: ReadStoreUnavailable,
  [ErrorReason.SERVICE_STOPPING]: ServiceStopping,
  [ErrorReason.CONSISTENCY_NOT_REACHED]: ConsistencyNotReached,
  [ErrorReason.INTERNAL_ERROR]: InternalError,
  [ErrorReason.STREAM_UNREADABLE]: StreamUnreadable,
  [ErrorReason.PARKED_EVENT_NOT_FOUND]: ParkedEventNotFound,
  [ErrorReason.REBUILD_IN_PROGRESS]: RebuildInProgress,
  [ErrorReason.TOKEN_MISSING]: TokenMissing,
  [ErrorReason.TOKEN_EXPIRED]: TokenExpired,
  [ErrorReason.TOKEN_INVALID]: TokenInvalid,
  [ErrorReason.SCOPE_INSUFFICIENT]: ScopeInsufficient,
  [ErrorReason.CUSTOMER_MISMATCH]: CustomerMismatch,
};

// Failures without an ErrorInfo: the transport's own, or a newer server's unknown reason.
const BY_CODE: Partial<Record<Code, ErrorClass>> = {
  [Code.InvalidArgument]: ValidationFailed,
  [Code.NotFound]: NotFound,
  [Code.AlreadyExists]: AlreadyExists,
  [Code.FailedPrecondition]: Refused,
  [Code.Aborted]: ConcurrencyConflict,
  [Code.Unavailable]: Unavailable,
  [Code.DeadlineExceeded]: DeadlineExceeded,
  [Code.Internal]: InternalError,
  [Code.DataLoss]: StreamUnreadable,
  [Code.Unauthenticated]: Unauthenticated,
  [Code.PermissionDenied]: PermissionDenied,
};

function reasonOf(name: string, domain: string): ErrorReason {
  const value: unknown = (ErrorReason as Record<string, unknown>)[name];
  return domain === DOMAIN && typeof value === "number" ? (value as ErrorReason) : ErrorReason.ERROR_REASON_UNSPECIFIED;
}

/** The typed error of a failed call; anything that is not a ConnectError is returned as is. */
export function toOrdersError(error: unknown): unknown {
  if (!(error instanceof ConnectError) || error instanceof OrdersError) {
    return error;
  }
  const info = errorInfo(error) ?? { reason: "", domain: "", metadata: {} };
  const reason = reasonOf(info.reason, info.domain);
  const errorClass =
    (reason === ErrorReason.ERROR_REASON_UNSPECIFIED ? undefined : ERROR_CLASSES[reason]) ??
    BY_CODE[error.code] ??
    OrdersError;
  return new errorClass(
    error.code,
    reason,
    info.reason,
    error.rawMessage,
    info.metadata,
    fieldViolations(error),
    { cause: error },
  );
}
