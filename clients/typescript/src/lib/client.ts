// The entry point: transports to both services, their calls, and sessions over them.
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

import { CommandService } from "../gen/orders/v1/command_service_pb.js";
import { StalenessPolicy } from "../gen/orders/v1/consistency_pb.js";
import { QueryService } from "../gen/orders/v1/query_service_pb.js";
import { Commands } from "./commands.js";
import { Queries } from "./queries.js";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry.js";
import { Session } from "./session.js";

export interface ConnectOptions {
  writeAddress: string;
  readAddress: string;
  /** PEM of the CA to trust: the transports speak TLS. Without it, plaintext HTTP/2. */
  ca?: string | Buffer;
  /** Sent as "authorization: Bearer <token>" with every call. */
  bearerToken?: string;
  retry?: RetryPolicy;
  timeoutMs?: number;
}

export class OrdersClient {
  readonly commands: Commands;
  readonly queries: Queries;

  constructor(options: ConnectOptions) {
    const bearer: Interceptor = (next) => async (request) => {
      if (options.bearerToken) {
        request.header.set("authorization", `Bearer ${options.bearerToken}`);
      }
      return next(request);
    };
    const transport = (address: string) =>
      createGrpcTransport({
        baseUrl: `${options.ca ? "https" : "http"}://${address}`,
        nodeOptions: options.ca ? { ca: options.ca } : {},
        interceptors: [bearer],
      });
    const retry = options.retry ?? DEFAULT_RETRY;
    const callOptions = { timeoutMs: options.timeoutMs ?? 30_000 };
    this.commands = new Commands(createClient(CommandService, transport(options.writeAddress)), retry, callOptions);
    this.queries = new Queries(createClient(QueryService, transport(options.readAddress)), retry, callOptions);
  }

  /** A session; with wait false its queries answer at once, flagged stale if behind. */
  session(options: { wait?: boolean } = {}): Session {
    const policy = options.wait === false ? StalenessPolicy.ALLOW_STALE : StalenessPolicy.WAIT;
    return new Session(this.commands, this.queries, policy);
  }
}
