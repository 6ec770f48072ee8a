import type { OutboxEvent } from '../core/job.js';

/** How many events a purge removed. */
export interface Purged {
  sent: number;
  dead: number;
}

/**
 * JobsDeadLetters: the jobs outbox's dead letters (an operator's) and its retention. Each write is
 * atomic and conditional on the event's status, so a repeat changes nothing.
 */
export interface JobsDeadLetters {
  /** Up to `limit` `dead` events, oldest death first. A read. */
  listDead(limit: number): Promise<OutboxEvent[]>;
  /**
   * Moves `dead` → `new`, due at `at`, attempts reset, so the relay claims it again. Conditional:
   * returns whether the event was dead (`false` for a repeat).
   */
  replay(eventId: string, at: Date): Promise<boolean>;
  /** Deletes a dead event. Conditional: returns whether the event was dead (`false` for a repeat). */
  discard(eventId: string): Promise<boolean>;
  /**
   * Retention: deletes `sent` events sent before `sentBefore` and `dead` ones dead before
   * `deadBefore`; `new` events are never touched. Idempotent. Returns how many of each it removed.
   */
  purge(sentBefore: Date, deadBefore: Date): Promise<Purged>;
}
