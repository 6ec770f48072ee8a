import type { Claim, OutboxEvent, OutboxStatus } from '../core/job.js';

/**
 * OutboxStore: `main_db.outbox`, the jobs a client was told "ok" about.
 *
 * Contract:
 * - `insert` writes the event in status `new` atomically: once it resolves the job survives any
 *   crash; it rejects if the id exists (no job is ever created twice).
 * - `claimNew` atomically claims up to `limit` events in `new` whose lease is free or expired,
 *   oldest first, leasing them to the claimer (the relay's work list; see `Claim`).
 * - `markSent` moves `new` → `sent` only if the event is still `new`; returns whether it did.
 *   A repeated call is a harmless no-op, so a relay may publish then mark in any retry order.
 * - `get`/`list` read; `deleteAll` removes every event.
 */
export interface OutboxStore {
  insert(event: OutboxEvent): Promise<void>;
  claimNew(claim: Claim): Promise<OutboxEvent[]>;
  markSent(eventId: string, at: Date): Promise<boolean>;
  get(eventId: string): Promise<OutboxEvent | undefined>;
  list(): Promise<OutboxEvent[]>;
  countByStatus(): Promise<Partial<Record<OutboxStatus, number>>>;
  deleteAll(): Promise<void>;
}
