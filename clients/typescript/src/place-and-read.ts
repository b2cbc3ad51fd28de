// Example client: registers a customer, places an order through CommandService, then reads it
// back through QueryService with the order's consistency token (read-your-writes).
//
//   node dist/place-and-read.js [write-address] [read-address]
//
// Addresses default to ORDERS_WRITE_ADDR / ORDERS_READ_ADDR, else 127.0.0.1:50051 / :50052.
// With ORDERS_CA_FILE set it speaks TLS, trusting that CA; with ORDERS_TOKEN set it sends
// "authorization: Bearer <token>" (e.g. ORDERS_TOKEN=$(orders token)).
// Prints one JSON object (the order as the read side reports it) on stdout.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";

import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

import { CommandService } from "./gen/orders/v1/command_service_pb.js";
import { StalenessPolicy } from "./gen/orders/v1/consistency_pb.js";
import { QueryService } from "./gen/orders/v1/query_service_pb.js";
import { OrderSummarySchema } from "./gen/orders/v1/views_pb.js";

const writeAddress = process.argv[2] ?? process.env.ORDERS_WRITE_ADDR ?? "127.0.0.1:50051";
const readAddress = process.argv[3] ?? process.env.ORDERS_READ_ADDR ?? "127.0.0.1:50052";

const caFile = process.env.ORDERS_CA_FILE;
const token = process.env.ORDERS_TOKEN;

const bearer: Interceptor = (next) => async (request) => {
  if (token) {
    request.header.set("authorization", `Bearer ${token}`);
  }
  return next(request);
};

function transport(address: string) {
  return createGrpcTransport({
    baseUrl: `${caFile ? "https" : "http"}://${address}`,
    nodeOptions: caFile ? { ca: readFileSync(caFile) } : {},
    interceptors: [bearer],
  });
}

const commands = createClient(CommandService, transport(writeAddress));
const queries = createClient(QueryService, transport(readAddress));

async function main(): Promise<void> {
  const customer = await commands.registerCustomer({
    idempotencyKey: randomUUID(),
    name: "Ada Lovelace",
    email: "ada@example.com",
  });
  const placed = await commands.placeOrder({
    idempotencyKey: randomUUID(),
    customerId: customer.customerId,
    lines: [
      { sku: "BOOK-1", quantity: 2, unitPrice: { currencyCode: "EUR", amountMinor: 1250n } },
      { sku: "PEN-7", quantity: 1, unitPrice: { currencyCode: "EUR", amountMinor: 399n } },
    ],
  });
  // Waits (up to the deadline) until the projection has applied the order's event.
  const read = await queries.getOrderSummary(
    {
      orderId: placed.orderId,
      consistency: { minToken: placed.consistencyToken, policy: StalenessPolicy.WAIT },
    },
    { timeoutMs: 30_000 },
  );
  if (read.order === undefined) {
    throw new Error(`order ${placed.orderId} came back empty`);
  }
  const output = {
    placed: { orderId: placed.orderId, total: placed.total?.amountMinor.toString() },
    read: toJson(OrderSummarySchema, read.order),
    stale: read.readMetadata?.stale ?? null,
  };
  console.log(JSON.stringify(output));
}

main().catch((error: unknown) => {
  const reason =
    error instanceof ConnectError ? `${Code[error.code]}: ${error.rawMessage}` : error;
  console.error("orders client failed:", reason);
  process.exit(1);
});
