// Causally consistent sessions: each query waits for the session's newest write, like MongoDB's
// causally consistent sessions, so reading your own writes needs no token plumbing.
import { create } from "@bufbuild/protobuf";

import {
  type ConsistencyToken,
  ConsistencyTokenSchema,
  type ReadConsistency,
  ReadConsistencySchema,
  StalenessPolicy,
} from "../gen/orders/v1/consistency_pb.js";
import type { Commands } from "./commands.js";
import type { Queries } from "./queries.js";

/**
 * `session.commands` remember the newest consistency token of their responses; `session.queries`
 * send it with the session's policy (WAIT by default: the read service answers once its
 * projection has reached that write, or fails with ConsistencyNotReached).
 */
export class Session {
  readonly commands: Commands;
  readonly queries: Queries;
  private newest: ConsistencyToken | undefined;

  constructor(
    commands: Commands,
    queries: Queries,
    readonly policy: StalenessPolicy = StalenessPolicy.WAIT,
  ) {
    this.commands = commands.observedBy((token) => this.advance(token));
    this.queries = queries.consistentWith(() => this.readConsistency());
  }

  /** The newest write this session has seen. */
  get token(): ConsistencyToken | undefined {
    return this.newest === undefined ? undefined : create(ConsistencyTokenSchema, this.newest);
  }

  /** Remembers token if newer than the session's (a replayed command's is older); hand it
   * another session's or process's token to read their writes too. */
  advance(token: ConsistencyToken): void {
    if (token.stream && (this.newest === undefined || token.commitPosition > this.newest.commitPosition)) {
      this.newest = create(ConsistencyTokenSchema, token);
    }
  }

  readConsistency(): ReadConsistency | undefined {
    if (this.newest === undefined) {
      return undefined;
    }
    return create(ReadConsistencySchema, { minToken: this.newest, policy: this.policy });
  }
}
