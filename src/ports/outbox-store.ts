import type { Claim, NewOutboxEvent, OutboxEvent, OutboxStatus } from '../core/job.js';

/** `insert` rejects with this when another event already has the idempotency key. */
export class DuplicateIdempotencyKeyError extends Error {
  constructor(readonly idempotencyKey: string) {
    super(`an event with idempotency key ${JSON.stringify(idempotencyKey)} exists`);
    this.name = 'DuplicateIdempotencyKeyError';
  }
}

/** How many events a purge removed. */
export interface Purged {
  sent: number;
  dead: number;
}

/**
 * OutboxStore: `main_db.outbox`, the jobs a client was told "ok" about.
 *
 * Delivery contract (the relay's work list):
 * - `insert` writes the event in status `new`, due at once, atomically: once it resolves the job
 *   survives any crash; it rejects if the id exists (no job is ever created twice), and with
 *   `DuplicateIdempotencyKeyError` if `idempotencyKey` is another event's (a client's retry: the
 *   key and the event are written in one atomic insert, so a crash can never separate them).
 *   `findByIdempotencyKey` finds that other event. Keys are opaque here: the API scopes a client's
 *   key per API key (`<key id>:<Idempotency-Key>`) before it reaches the store.
 * - `claimDue` atomically claims up to `limit` events in `new` that are due (`next_attempt_at` ≤ now)
 *   and whose lease is free, expired or the claimer's own, oldest first, leasing them (see `Claim`).
 *   Two claimers never hold the same event at once.
 * - `markSent` moves the given events `new` → `sent` (only those still `new`); returns how many moved.
 *   Repeating it is a harmless no-op, so a relay may publish then mark in any retry order.
 * - `recordFailure` notes a failed attempt on a `new` event: `attempts` + 1, `last_error`, the next
 *   due time, and frees its lease. `markDead` makes a `new` event a dead letter (`dead`, `dead_at`,
 *   `last_error`, `attempts` + 1). Both return whether the event was `new`.
 *
 * Dead letters (an operator's):
 * - `listDead` oldest first; `replay` moves `dead` → `new`, due now, attempts reset; `discard`
 *   deletes a dead event. Both return whether the event was dead.
 * - `purge` deletes `sent` events sent before `sentBefore` and dead ones dead before `deadBefore`.
 *
 * Reads: `get`, `list` (oldest first), `countByStatus`; `deleteAll` removes every event.
 * `idsOfOwner` lists the ids of the events of one owner (`payload.owner`, the API key that created
 * the job) in the given statuses, each id once (indexed: it reads that owner's events only).
 */
export interface OutboxStore {
  insert(event: NewOutboxEvent, idempotencyKey?: string): Promise<void>;
  findByIdempotencyKey(idempotencyKey: string): Promise<OutboxEvent | undefined>;
  claimDue(claim: Claim): Promise<OutboxEvent[]>;
  markSent(eventIds: readonly string[], at: Date): Promise<number>;
  recordFailure(eventId: string, error: string, nextAttemptAt: Date): Promise<boolean>;
  markDead(eventId: string, error: string, at: Date): Promise<boolean>;
  listDead(limit: number): Promise<OutboxEvent[]>;
  replay(eventId: string, at: Date): Promise<boolean>;
  discard(eventId: string): Promise<boolean>;
  purge(sentBefore: Date, deadBefore: Date): Promise<Purged>;
  get(eventId: string): Promise<OutboxEvent | undefined>;
  list(): Promise<OutboxEvent[]>;
  countByStatus(): Promise<Partial<Record<OutboxStatus, number>>>;
  idsOfOwner(owner: string, statuses: readonly OutboxStatus[]): Promise<string[]>;
  deleteAll(): Promise<void>;
}
