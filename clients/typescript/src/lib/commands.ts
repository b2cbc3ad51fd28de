// CommandService calls with an idempotency key by default and retries on UNAVAILABLE.
import { randomUUID } from "node:crypto";

import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CallOptions, Client } from "@connectrpc/connect";

import {
  type CancelOrderRequestSchema,
  CommandService,
  type DeliverOrderRequestSchema,
  type PlaceOrderRequestSchema,
  type ProcessPaymentRequestSchema,
  type RegisterCustomerRequestSchema,
  type ShipOrderRequestSchema,
} from "../gen/orders/v1/command_service_pb.js";
import type { ConsistencyToken } from "../gen/orders/v1/consistency_pb.js";
import { type RetryPolicy, withRetry } from "./retry.js";

export type TokenObserver = (token: ConsistencyToken) => void;

/**
 * Each method takes the request; one without an idempotencyKey gets a fresh UUID, sent on every
 * retry of that call. Set the key yourself to make retries across calls (or processes) safe too.
 */
export class Commands {
  constructor(
    private readonly client: Client<typeof CommandService>,
    private readonly retry: RetryPolicy,
    private readonly callOptions: CallOptions = {},
    private readonly observe?: TokenObserver,
  ) {}

  /** The same commands, also telling observe each response's consistency token. */
  observedBy(observe: TokenObserver): Commands {
    return new Commands(this.client, this.retry, this.callOptions, observe);
  }

  registerCustomer(request: MessageInitShape<typeof RegisterCustomerRequestSchema>) {
    return this.send((r, o) => this.client.registerCustomer(r, o), request);
  }

  placeOrder(request: MessageInitShape<typeof PlaceOrderRequestSchema>) {
    return this.send((r, o) => this.client.placeOrder(r, o), request);
  }

  processPayment(request: MessageInitShape<typeof ProcessPaymentRequestSchema>) {
    return this.send((r, o) => this.client.processPayment(r, o), request);
  }

  shipOrder(request: MessageInitShape<typeof ShipOrderRequestSchema>) {
    return this.send((r, o) => this.client.shipOrder(r, o), request);
  }

  deliverOrder(request: MessageInitShape<typeof DeliverOrderRequestSchema>) {
    return this.send((r, o) => this.client.deliverOrder(r, o), request);
  }

  cancelOrder(request: MessageInitShape<typeof CancelOrderRequestSchema>) {
    return this.send((r, o) => this.client.cancelOrder(r, o), request);
  }

  private async send<Req extends { idempotencyKey?: string }, Res extends { consistencyToken?: ConsistencyToken }>(
    call: (request: Req, options: CallOptions) => Promise<Res>,
    request: Req,
  ): Promise<Res> {
    const keyed: Req = { ...request, idempotencyKey: request.idempotencyKey || randomUUID() };
    const response = await withRetry(() => call(keyed, this.callOptions), this.retry);
    if (response.consistencyToken !== undefined) {
      this.observe?.(response.consistencyToken);
    }
    return response;
  }
}
