import type { Claim, NewOutboxEvent, OutboxEvent } from '../core/job.js';

/** `insert` rejects with this when another event already has the idempotency key. */
export class DuplicateIdempotencyKeyError extends Error {
  constructor(readonly idempotencyKey: string) {
    super(`an event with idempotency key ${JSON.stringify(idempotencyKey)} exists`);
    this.name = 'DuplicateIdempotencyKeyError';
  }
}

/**
 * JobsOutbox: `main_db.outbox`, the jobs a client was told "ok" about, as the relay's work list.
 * Delivery is at least once: the relay publishes a claimed event, then marks it sent; every mark
 * is conditional on `new`, so a repeat in any retry order is harmless.
 */
export interface JobsOutbox {
  /**
   * Writes the event in status `new`, due at once, atomically: once it resolves the job survives
   * any crash. It rejects if the id exists (no job is ever created twice), and with
   * `DuplicateIdempotencyKeyError` if `idempotencyKey` is another event's (a client's retry: the
   * key and the event are written in one atomic insert, so a crash can never separate them). Keys
   * are opaque here: the API scopes a client's key per API key (`<key id>:<Idempotency-Key>`)
   * before it reaches the store.
   */
  insert(event: NewOutboxEvent, idempotencyKey?: string): Promise<void>;
  /** The event holding the idempotency key (the one `insert` refused a retry for), in any status, or `undefined`. A read. */
  findByIdempotencyKey(idempotencyKey: string): Promise<OutboxEvent | undefined>;
  /**
   * Atomically claims up to `limit` events in `new` that are due (`next_attempt_at` ≤ now) and
   * whose lease is free, expired or the claimer's own, oldest first, leasing them (see `Claim`).
   * Two claimers never hold the same event at once. Changes no status.
   */
  claimDue(claim: Claim): Promise<OutboxEvent[]>;
  /**
   * Moves the given events `new` → `sent` (only those still `new`), with `sent_at`; returns how
   * many moved. Repeating it is a harmless no-op, so a relay may publish then mark in any retry order.
   */
  markSent(eventIds: readonly string[], at: Date): Promise<number>;
  /**
   * Notes a failed attempt on a `new` event: `attempts` + 1, `last_error`, the next due time, and
   * frees its lease; it stays `new`. Returns whether the event was `new`.
   */
  recordFailure(eventId: string, error: string, nextAttemptAt: Date): Promise<boolean>;
  /**
   * Makes a `new` event a dead letter (`dead`, `dead_at`, `last_error`, `attempts` + 1), freeing
   * its lease; a dead event is never claimed. Conditional on `new`: a repeat returns `false`.
   * Returns whether the event was `new`.
   */
  markDead(eventId: string, error: string, at: Date): Promise<boolean>;
}
