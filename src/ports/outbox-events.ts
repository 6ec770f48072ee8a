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
  /**
   * An operator's cleanup: removes every event created before `cutoff`, whatever its status
   * (pending, sent or dead), with its leases; events created at or after it are untouched. An event being
   * published meanwhile may still reach the bus: the runner database's cutoff
   * (`JobRecords.clearBefore`, set first) makes its job's messages harmless. Idempotent. Returns
   * the ids of the events removed.
   */
  clearBefore(cutoff: Date): Promise<string[]>;
}
