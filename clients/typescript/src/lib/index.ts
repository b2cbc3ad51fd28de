// TypeScript client library of the orders services (Node, Connect over gRPC):
//
//   const client = new OrdersClient({ writeAddress: "127.0.0.1:50051", readAddress: "127.0.0.1:50052" });
//   const session = client.session();
//   const placed = await session.commands.placeOrder({ customerId, lines });
//   const read = await session.queries.getOrderSummary({ orderId: placed.orderId });  // waits
//
// Commands get an idempotency key unless they carry one and are retried on UNAVAILABLE;
// failures throw an OrdersError subclass per reason; money is shown with ISO 4217 minor units.
export { OrdersClient, type ConnectOptions } from "./client.js";
export { Commands } from "./commands.js";
export * from "./errors.js";
export * from "./money.js";
export { Queries } from "./queries.js";
export { DEFAULT_RETRY, NO_RETRY, type RetryPolicy, withRetry } from "./retry.js";
export { Session } from "./session.js";
export type { ErrorInfo, FieldViolation } from "./status-details.js";
