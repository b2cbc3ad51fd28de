// The TypeScript client library against a running stack, run by tests/clients (pytest), which
// passes the addresses: ORDERS_WRITE_ADDR, ORDERS_READ_ADDR, and ORDERS_LATE_WRITE_ADDR, where a
// write service starts only after this test reports its first retry on stderr.
//
//   node dist/test/client.test.js
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { Code } from "@connectrpc/connect";

import { ErrorReason } from "../gen/orders/v1/errors_pb.js";
import { OrderStatus, PaymentStatus } from "../gen/orders/v1/types_pb.js";
import {
  ConsistencyNotReached,
  CustomerAlreadyExists,
  CustomerNotFound,
  DEFAULT_RETRY,
  ERROR_CLASSES,
  formatAmount,
  formatMoney,
  IdempotencyKeyReused,
  IllegalTransition,
  InvalidRequest,
  OrderAlreadyExists,
  OrderNotFound,
  OrdersClient,
  OrdersError,
  toMinor,
  toMoney,
} from "../lib/index.js";

const writeAddress = process.env.ORDERS_WRITE_ADDR ?? "127.0.0.1:50051";
const readAddress = process.env.ORDERS_READ_ADDR ?? "127.0.0.1:50052";
const lateWriteAddress = process.env.ORDERS_LATE_WRITE_ADDR;
const client = new OrdersClient({ writeAddress, readAddress });

const register = (name = "Ada Lovelace", customerId = "") =>
  client.commands.registerCustomer({ customerId, name, email: "ada@example.com" });

const order = (customerId: string, price = "12.50", currency = "EUR") => ({
  customerId,
  lines: [{ sku: "BOOK-1", quantity: 2, unitPrice: toMoney(price, currency) }],
});

test("amounts show their currency's ISO 4217 minor unit", () => {
  assert.equal(formatAmount(8816920n, "JPY"), "8,816,920 JPY");
  assert.equal(formatAmount(123456n, "EUR"), "1,234.56 EUR");
  assert.equal(formatAmount(-1234n, "BHD"), "-1.234 BHD");
  assert.equal(formatAmount(5, "USD"), "0.05 USD");
  assert.equal(formatMoney({ currencyCode: "EUR", amountMinor: 9223372036854775807n, amountMinorDecimal: "18446744073709563961" } as never), "184,467,440,737,095,639.61 EUR");
  // ISO 4217, not CLDR: Intl.NumberFormat would show IQD and LBP without decimals.
  assert.equal(formatAmount(1500n, "IQD"), "1.500 IQD");
  assert.equal(formatAmount(1500n, "LBP"), "15.00 LBP");
  assert.equal(toMinor("12.50", "EUR"), 1250n);
  assert.equal(toMinor("4408460", "JPY"), 4408460n);
  assert.throws(() => toMinor("1.5", "JPY"), RangeError);
});

test("a session reads its own writes through the whole lifecycle", async () => {
  const session = client.session();
  const customer = await session.commands.registerCustomer({ name: "Ada Lovelace", email: "ada@example.com" });
  const placed = await session.commands.placeOrder(order(customer.customerId, "4408460", "JPY"));
  assert.equal(formatMoney(placed.total), "8,816,920 JPY");
  await session.commands.processPayment({ orderId: placed.orderId, amount: placed.total, method: "card" });
  await session.commands.shipOrder({ orderId: placed.orderId, carrier: "DHL", trackingNumber: "T-1" });
  await session.commands.deliverOrder({ orderId: placed.orderId });

  const details = await session.queries.getOrderDetails({ orderId: placed.orderId });
  assert.equal(details.readMetadata?.stale, false);
  assert.equal(details.order?.summary?.status, OrderStatus.DELIVERED);
  const timeline = details.order?.timeline.map((entry) => entry.description) ?? [];
  assert.equal(timeline.length, 4);
  assert.match(timeline[0] ?? "", /8,816,920 JPY/);
  assert.equal(session.token?.stream, `order-${placed.orderId}`);
});

test("a paid order cancelled in a session reads back refunded", async () => {
  const session = client.session();
  const customer = await session.commands.registerCustomer({ name: "Grace Hopper", email: "grace@example.com" });
  const placed = await session.commands.placeOrder(order(customer.customerId, "1.234", "BHD"));
  await session.commands.processPayment({ orderId: placed.orderId, amount: placed.total, method: "card" });
  const cancelled = await session.commands.cancelOrder({ orderId: placed.orderId, reason: "changed my mind" });
  assert.equal(cancelled.paymentStatus, PaymentStatus.REFUNDED);
  const read = await session.queries.getOrderSummary({ orderId: placed.orderId });
  assert.equal(read.order?.status, OrderStatus.CANCELLED);
  assert.equal(formatMoney(read.order?.total), "2.468 BHD");
});

test("paging walks every order of a customer once", async () => {
  const session = client.session();
  const customer = await session.commands.registerCustomer({ name: "Alan Turing", email: "alan@example.com" });
  const placed: string[] = [];
  for (let n = 1; n <= 7; n++) {
    placed.push((await session.commands.placeOrder(order(customer.customerId, `${n}.00`))).orderId);
  }
  const walked: string[] = [];
  for await (const summary of session.queries.allCustomerOrders({ customerId: customer.customerId, pageSize: 3 })) {
    walked.push(summary.orderId);
  }
  assert.equal(walked.length, 7);
  assert.deepEqual([...walked].sort(), [...placed].sort());
});

test("the same idempotency key sent twice places one order", async () => {
  const session = client.session();
  const customer = await session.commands.registerCustomer({ name: "Edsger Dijkstra", email: "ed@example.com" });
  const request = { ...order(customer.customerId), idempotencyKey: randomUUID() };
  const first = await session.commands.placeOrder(request);
  const again = await session.commands.placeOrder(request);
  assert.equal(again.orderId, first.orderId);
  assert.deepEqual(again.consistencyToken, first.consistencyToken);
  const listed = await session.queries.listCustomerOrders({ customerId: customer.customerId });
  assert.deepEqual(listed.orders.map((o) => o.orderId), [first.orderId]);
});

test("every reason of the contract has an error class named after it", () => {
  for (const [name, value] of Object.entries(ErrorReason)) {
    if (typeof value !== "number" || value === ErrorReason.ERROR_REASON_UNSPECIFIED) continue;
    const camel = name.split("_").map((w) => w[0] + w.slice(1).toLowerCase()).join("");
    assert.equal(ERROR_CLASSES[value as Exclude<ErrorReason, ErrorReason.ERROR_REASON_UNSPECIFIED>]?.name, camel);
  }
});

interface ReasonCase {
  reason: keyof typeof ErrorReason;
  errorClass: typeof OrdersError;
  code: Code;
  metadata: string[];
  provoke: () => Promise<unknown>;
}

const reasons: ReasonCase[] = [
  {
    reason: "INVALID_REQUEST", errorClass: InvalidRequest, code: Code.InvalidArgument, metadata: [],
    provoke: () => client.commands.placeOrder({ customerId: "c-1", lines: [{ sku: "BOOK-1", quantity: 0, unitPrice: toMoney("1", "EUR") }] }),
  },
  {
    reason: "ORDER_NOT_FOUND", errorClass: OrderNotFound, code: Code.NotFound, metadata: ["order_id"],
    provoke: () => client.queries.getOrderSummary({ orderId: `o-${randomUUID()}` }),
  },
  {
    reason: "CUSTOMER_NOT_FOUND", errorClass: CustomerNotFound, code: Code.NotFound, metadata: ["customer_id"],
    provoke: () => client.commands.placeOrder(order(`c-${randomUUID()}`)),
  },
  {
    reason: "ORDER_ALREADY_EXISTS", errorClass: OrderAlreadyExists, code: Code.AlreadyExists, metadata: ["order_id"],
    provoke: async () => {
      const customer = await register();
      const request = { ...order(customer.customerId), orderId: `o-${randomUUID()}` };
      await client.commands.placeOrder(request);
      return client.commands.placeOrder(request);
    },
  },
  {
    reason: "CUSTOMER_ALREADY_EXISTS", errorClass: CustomerAlreadyExists, code: Code.AlreadyExists, metadata: ["customer_id"],
    provoke: async () => {
      const id = `c-${randomUUID()}`;
      await register("Ada Lovelace", id);
      return register("Ada Lovelace", id);
    },
  },
  {
    reason: "IDEMPOTENCY_KEY_REUSED", errorClass: IdempotencyKeyReused, code: Code.AlreadyExists, metadata: ["idempotency_key"],
    provoke: async () => {
      const idempotencyKey = randomUUID();
      await client.commands.registerCustomer({ idempotencyKey, name: "Ada Lovelace", email: "ada@example.com" });
      return client.commands.registerCustomer({ idempotencyKey, name: "Grace Hopper", email: "grace@example.com" });
    },
  },
  {
    reason: "ILLEGAL_TRANSITION", errorClass: IllegalTransition, code: Code.FailedPrecondition,
    metadata: ["order_id", "current_status", "requested_status"],
    provoke: async () => {
      const customer = await register();
      const placed = await client.commands.placeOrder(order(customer.customerId));
      return client.commands.shipOrder({ orderId: placed.orderId, carrier: "DHL", trackingNumber: "T-1" });
    },
  },
  {
    reason: "CONSISTENCY_NOT_REACHED", errorClass: ConsistencyNotReached, code: Code.DeadlineExceeded,
    metadata: ["stream", "min_revision", "min_commit_position", "projected_commit_position"],
    provoke: async () => {
      const session = new OrdersClient({ writeAddress, readAddress, timeoutMs: 2_000 }).session();
      const customer = await session.commands.registerCustomer({ name: "Ada Lovelace", email: "ada@example.com" });
      // A write the projection never reaches: the read service gives up before the deadline.
      session.advance({ ...session.token!, revision: 7n, commitPosition: 2n ** 62n });
      return session.queries.getCustomer({ customerId: customer.customerId });
    },
  },
];

for (const reasonCase of reasons) {
  test(`${reasonCase.reason} is thrown as ${reasonCase.errorClass.name}`, async () => {
    const error = await reasonCase.provoke().then(
      () => assert.fail("the call succeeded"),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof OrdersError, String(error));
    assert.equal(error.constructor, reasonCase.errorClass);
    assert.equal(error.code, reasonCase.code);
    assert.equal(error.reason, ErrorReason[reasonCase.reason]);
    assert.equal(error.reasonName, reasonCase.reason);
    for (const key of reasonCase.metadata) {
      assert.ok(key in error.metadata, `metadata ${key} in ${JSON.stringify(error.metadata)}`);
    }
    if (error instanceof InvalidRequest) {
      assert.ok("lines[0].quantity" in error.violations, JSON.stringify(error.violations));
    }
  });
}

test("a command refused UNAVAILABLE is retried until the write service is up", { skip: lateWriteAddress === undefined }, async () => {
  let retries = 0;
  const late = new OrdersClient({
    writeAddress: lateWriteAddress ?? "",
    readAddress,
    retry: {
      ...DEFAULT_RETRY,
      attempts: 200,
      maxBackoffMs: 500,
      onRetry: (error) => {
        if (retries++ === 0) process.stderr.write(`RETRYING ${Code[error.code]}\n`);
      },
    },
  });
  const customerId = `c-late-${randomUUID()}`;
  const registered = await late.commands.registerCustomer({ customerId, name: "Late Larry", email: "larry@example.com" });
  assert.equal(registered.customerId, customerId);
  assert.ok(retries > 0);
  console.log(`LATE CUSTOMER ${customerId}`);
});

