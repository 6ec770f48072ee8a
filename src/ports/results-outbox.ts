import type { Claim, RunnerRecord } from '../core/job.js';
import type { ResultWarning } from '../core/damage.js';

/**
 * ResultsOutbox: the second outbox — `predictable` records are the result publisher's work list,
 * each delivered as `detection/{id}.json` and then marked `ready`. Delivery is at least once
 * (publish, then mark; the publish is an idempotent overwrite), and every mark is conditional on
 * `predictable`, so a repeat is harmless.
 */
export interface ResultsOutbox {
  /**
   * Atomically claims up to `limit` `predictable` records that are due (`publish_next_at` ≤ now or
   * unset) and whose publish lease is free, expired or the claimer's, oldest first, leasing them
   * until `now + leaseMs` (see `Claim`): two claimers never hold the same record at once; a
   * claimer that dies frees its records when the lease expires. Changes no status. Returns the
   * claimed records.
   */
  claimPredictable(claim: Claim): Promise<RunnerRecord[]>;
  /**
   * Moves `predictable` → `ready` (with `ready_at`, `output_s3` and, when there are any, the
   * result's `warnings`, for the job's status) and drops the job's frame results:
   * the published document holds them from then on, and a store that kept every job's results
   * would make each later read slower (a MongoDB-protocol server without indexed queries scans them
   * all). In the same write it makes the job's webhook notification `pending` (due at once,
   * attempts 0) when its `input` asks for one. Conditional on `predictable`: a repeat changes
   * nothing and returns `false`. Returns whether it moved.
   */
  markReady(jobId: string, at: Date, output: { bucket: string; object: string }, warnings?: readonly ResultWarning[]): Promise<boolean>;
  /**
   * Counts a failed publish of a `predictable` record (`publish_attempts` + 1, `publish_error`,
   * next due time `nextAttemptAt`) and frees its lease; the status stays `predictable`. Conditional:
   * returns whether the record was `predictable` (a record that became `ready` meanwhile is left as it is).
   */
  recordPublishFailure(jobId: string, error: string, nextAttemptAt: Date): Promise<boolean>;
  /**
   * Makes a `predictable` record a dead letter: `failed` with the reason as its error and
   * `publish_error`, `publish_attempts` + 1, `failed_at` and `dead_at`, its lease freed; in the
   * same write it makes its webhook notification `pending` when its `input` asks for one. The frame
   * results stay (a replay publishes them). Conditional on `predictable`: a repeat returns `false`.
   * Returns whether the record was `predictable`.
   */
  markPublishDead(jobId: string, reason: string, at: Date): Promise<boolean>;
}
