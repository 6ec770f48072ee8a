import type { RunnerRecord } from '../core/job.js';

/**
 * ResultsDeadLetters: results that could not be published past their attempts (`markPublishDead`):
 * `failed` records carrying `dead_at`, for an operator to list, replay or discard. Each write is
 * atomic and conditional on the dead mark, so a repeat changes nothing.
 */
export interface ResultsDeadLetters {
  /** Up to `limit` dead results (records with `dead_at`), oldest death first. A read. */
  listDead(limit: number): Promise<RunnerRecord[]>;
  /**
   * Moves a dead `failed` record back to `predictable`, due at `at`, attempts reset, its error,
   * `failed_at` and `dead_at` cleared, so the publisher claims it again. Conditional: a repeat (or
   * a record not dead) changes nothing. Returns whether it moved.
   */
  replayDead(jobId: string, at: Date): Promise<boolean>;
  /**
   * Clears the dead mark, leaving the job `failed` for good. Conditional on the mark: a repeat
   * returns `false`. Returns whether it changed.
   */
  discardDead(jobId: string): Promise<boolean>;
  /**
   * Clears the dead mark of every result dead before `deadBefore` (retention), leaving those jobs
   * `failed`. Idempotent. Returns how many records changed.
   */
  purgeDead(deadBefore: Date): Promise<number>;
}
