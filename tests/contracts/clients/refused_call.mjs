// Run by test_clients_from_protos_alone next to code protoc-gen-es generated from protos/ alone
// (into ./gen): sends a PlaceOrder the service refuses and prints, as JSON, the status code and
// the ErrorInfo and BadRequest decoded from the status details.
//
//   node refused_call.mjs WRITE_ADDRESS
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

import { BadRequestSchema, ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";
import { CommandService } from "./gen/orders/v1/command_service_pb.js";

const commands = createClient(
  CommandService,
  createGrpcTransport({ baseUrl: `http://${process.argv[2]}` }),
);

try {
  await commands.placeOrder(
    {
      customerId: "c-1",
      lines: [{ sku: "BOOK-1", quantity: 0, unitPrice: { currencyCode: "eur" } }],
    },
    { timeoutMs: 60_000 },
  );
  throw new Error("the refused PlaceOrder was accepted");
} catch (error) {
  const refusal = ConnectError.from(error);
  const [info] = refusal.findDetails(ErrorInfoSchema);
  const [badRequest] = refusal.findDetails(BadRequestSchema);
  console.log(
    JSON.stringify({
      code: Code[refusal.code],
      reason: info?.reason,
      domain: info?.domain,
      violations: badRequest?.fieldViolations.map((violation) => violation.field),
    }),
  );
}
