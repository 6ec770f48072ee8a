import type { OutboxEvent, OutboxStatus } from '../core/job.js';

/** OutboxEvents: reads of the jobs outbox's events, in any status (the API, metrics). */
export interface OutboxEvents {
  /** The event, in any status, or `undefined`. A read. */
  get(eventId: string): Promise<OutboxEvent | undefined>;
  /** Every event, oldest first, each once. A read. */
  list(): Promise<OutboxEvent[]>;
  /** How many events are in each status (statuses with none may be absent). A read. */
  countByStatus(): Promise<Partial<Record<OutboxStatus, number>>>;
  /**
   * The ids of the events of one owner (`payload.owner`, the API key that created the job) in the
   * given statuses, each id once (indexed: it reads that owner's events only). A read.
   */
  idsOfOwner(owner: string, statuses: readonly OutboxStatus[]): Promise<string[]>;
  /** Removes every event, whatever its status (an operator's reset). Idempotent. */
  deleteAll(): Promise<void>;
}
