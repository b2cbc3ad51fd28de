// Retries on UNAVAILABLE with exponential, jittered backoff. Safe for commands because each
// call keeps one idempotency key across its attempts: a retry of an attempt that did land gets
// the original response and writes nothing.
import { Code, ConnectError } from "@connectrpc/connect";

import { toOrdersError } from "./errors.js";

export interface RetryPolicy {
  attempts: number;
  firstBackoffMs: number;
  maxBackoffMs: number;
  retryable: readonly Code[];
  /** Told each failure that will be retried, before the backoff (for logs or metrics). */
  onRetry?: (error: ConnectError, attempt: number) => void;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 6,
  firstBackoffMs: 100,
  maxBackoffMs: 3_000,
  retryable: [Code.Unavailable],
};

export const NO_RETRY: RetryPolicy = { ...DEFAULT_RETRY, attempts: 1 };

export async function withRetry<T>(attempt: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (raw) {
      if (!(raw instanceof ConnectError)) {
        throw raw;
      }
      const error = raw;
      if (tried >= policy.attempts || !policy.retryable.includes(error.code)) {
        throw toOrdersError(error);
      }
      policy.onRetry?.(error, tried);
      const backoff = Math.min(policy.maxBackoffMs, policy.firstBackoffMs * 2 ** (tried - 1));
      await new Promise((resolve) => setTimeout(resolve, backoff / 2 + Math.random() * (backoff / 2)));
    }
  }
}
