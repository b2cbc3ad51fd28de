// QueryService calls with retries on UNAVAILABLE, an optional default read consistency (a
// session's), and paging walked for you.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CallOptions, Client } from "@connectrpc/connect";

import type { ReadConsistency } from "../gen/orders/v1/consistency_pb.js";
import {
  type GetCustomerRequestSchema,
  type GetOrderDetailsRequestSchema,
  type GetOrderStatsRequestSchema,
  type GetOrderSummaryRequestSchema,
  type GetSalesAnalyticsRequestSchema,
  type ListCustomerOrdersRequestSchema,
  type ListOrdersRequestSchema,
  QueryService,
} from "../gen/orders/v1/query_service_pb.js";
import type { OrderSummary } from "../gen/orders/v1/views_pb.js";
import { type RetryPolicy, withRetry } from "./retry.js";

export type ConsistencySource = () => ReadConsistency | undefined;

/** A request without a consistency gets the one `consistency` gives; one you set is kept. */
export class Queries {
  constructor(
    private readonly client: Client<typeof QueryService>,
    private readonly retry: RetryPolicy,
    private readonly callOptions: CallOptions = {},
    private readonly consistency?: ConsistencySource,
  ) {}

  consistentWith(consistency: ConsistencySource): Queries {
    return new Queries(this.client, this.retry, this.callOptions, consistency);
  }

  getOrderSummary(request: MessageInitShape<typeof GetOrderSummaryRequestSchema>) {
    return this.ask((r, o) => this.client.getOrderSummary(r, o), request);
  }

  getOrderDetails(request: MessageInitShape<typeof GetOrderDetailsRequestSchema>) {
    return this.ask((r, o) => this.client.getOrderDetails(r, o), request);
  }

  getCustomer(request: MessageInitShape<typeof GetCustomerRequestSchema>) {
    return this.ask((r, o) => this.client.getCustomer(r, o), request);
  }

  listCustomerOrders(request: MessageInitShape<typeof ListCustomerOrdersRequestSchema>) {
    return this.ask((r, o) => this.client.listCustomerOrders(r, o), request);
  }

  listOrders(request: MessageInitShape<typeof ListOrdersRequestSchema>) {
    return this.ask((r, o) => this.client.listOrders(r, o), request);
  }

  getOrderStats(request: MessageInitShape<typeof GetOrderStatsRequestSchema>) {
    return this.ask((r, o) => this.client.getOrderStats(r, o), request);
  }

  getSalesAnalytics(request: MessageInitShape<typeof GetSalesAnalyticsRequestSchema>) {
    return this.ask((r, o) => this.client.getSalesAnalytics(r, o), request);
  }

  /** Every order of the customer, newest first, page after page. */
  async *allCustomerOrders(
    request: MessageInitShape<typeof ListCustomerOrdersRequestSchema>,
  ): AsyncGenerator<OrderSummary> {
    let pageToken = request.pageToken ?? "";
    do {
      const page = await this.listCustomerOrders({ ...request, pageToken });
      yield* page.orders;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /** Every matching order, newest first, page after page. */
  async *allOrders(request: MessageInitShape<typeof ListOrdersRequestSchema>): AsyncGenerator<OrderSummary> {
    let pageToken = request.pageToken ?? "";
    do {
      const page = await this.listOrders({ ...request, pageToken });
      yield* page.orders;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  private ask<Req extends { consistency?: MessageInitShape<never> | ReadConsistency | object }, Res>(
    call: (request: Req, options: CallOptions) => Promise<Res>,
    request: Req,
  ): Promise<Res> {
    const consistency = request.consistency === undefined ? this.consistency?.() : undefined;
    const sent: Req = consistency === undefined ? request : { ...request, consistency };
    return withRetry(() => call(sent, this.callOptions), this.retry);
  }
}
