// Example client of the live queries: follows one order (QueryService.WatchOrder) and prints
// each change as the projector writes it, until Ctrl-C. It resumes after a dropped stream
// (a restarting read service answers UNAVAILABLE) from the last token it got, so it neither
// misses nor repeats a change.
//
//   npm run example:watch -- ORDER_ID [read-address]    (compiles, then runs it)
//
// The address defaults to ORDERS_READ_ADDR, else 127.0.0.1:50052. With ORDERS_CA_FILE set it
// speaks TLS, trusting that CA; with ORDERS_TOKEN set it sends "authorization: Bearer <token>".
import { readFileSync } from "node:fs";

import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

import type { ConsistencyToken } from "../src/gen/orders/v1/consistency_pb.js";
import { QueryService, WatchMessageKind } from "../src/gen/orders/v1/query_service_pb.js";
import { OrderStatus } from "../src/gen/orders/v1/types_pb.js";

const orderId = process.argv[2];
const readAddress = process.argv[3] ?? process.env.ORDERS_READ_ADDR ?? "127.0.0.1:50052";
const caFile = process.env.ORDERS_CA_FILE;
const token = process.env.ORDERS_TOKEN;

const bearer: Interceptor = (next) => async (request) => {
  if (token) {
    request.header.set("authorization", `Bearer ${token}`);
  }
  return next(request);
};

const queries = createClient(
  QueryService,
  createGrpcTransport({
    baseUrl: `${caFile ? "https" : "http"}://${readAddress}`,
    nodeOptions: caFile ? { ca: readFileSync(caFile) } : {},
    interceptors: [bearer],
  }),
);

async function main(): Promise<void> {
  if (!orderId) {
    console.error("usage: watch-order ORDER_ID [read-address]");
    process.exitCode = 2;
    return;
  }
  const stop = new AbortController();
  process.on("SIGINT", () => stop.abort());
  let resumeToken: ConsistencyToken | undefined;
  while (!stop.signal.aborted) {
    try {
      const stream = queries.watchOrder({ orderId, resumeToken }, { signal: stop.signal });
      for await (const message of stream) {
        if (message.kind === WatchMessageKind.CAUGHT_UP) {
          console.log("-- caught up; changes follow as they are projected --");
          continue;
        }
        resumeToken = message.token;
        const after = message.previousRevision === undefined ? "" : ` (after ${message.previousRevision})`;
        console.log(
          `${WatchMessageKind[message.kind]} ${message.order?.orderId} rev ${message.token?.revision}${after}: ` +
            `${OrderStatus[message.order?.status ?? 0]}`,
        );
      }
    } catch (error) {
      const failure = ConnectError.from(error);
      if (stop.signal.aborted || failure.code === Code.Canceled) {
        return;
      }
      // The read service stopped (SERVICE_STOPPING) or is briefly away: resume from the token.
      if (failure.code === Code.Unavailable) {
        console.error(`stream ended (${failure.rawMessage}); resuming`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      throw error;
    }
  }
}

main().catch((error: unknown) => {
  const failure = ConnectError.from(error);
  console.error(`${Code[failure.code]}: ${failure.rawMessage}`);
  process.exitCode = 1;
});
