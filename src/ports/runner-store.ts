import type { Claim, RunnerRecord, RunnerStart, RunnerStatus } from '../core/job.js';
import type { FrameResult } from '../core/types.js';

/**
 * RunnerStore: `runner_db.runner_predictions` plus one frame result per (job, frame).
 *
 * Contract (every write is atomic and conditional, so redelivered messages are harmless):
 * - `start` creates the record in `processing`, or returns the existing one unchanged.
 * - `setTotalFrames` records how many sampled frames the job has (known once extraction ends).
 *   Only for `processing` records; returns the record after the write.
 * - `addFrameResult` stores a frame result once per (job, frame): a duplicate changes nothing.
 *   `received_frames` counts distinct frames. Returns `undefined` when the job is unknown.
 * - `markPredictable` moves `processing` → `predictable` only when every frame is in;
 *   returns whether it moved.
 * - `markReady` moves `predictable` → `ready` (with `ready_at`, `output_s3`); `markFailed` moves any
 *   non-final record (creating it if needed) → `failed` with a reason. Both return whether they moved.
 * - `claimPredictable` atomically claims up to `limit` `predictable` records that are due
 *   (`publish_next_at` ≤ now or unset) and whose lease is free, expired or the claimer's, oldest
 *   first (the result publisher's work list — the second outbox; see `Claim`).
 * - `recordPublishFailure` counts a failed publish of a `predictable` record (`publish_attempts` + 1,
 *   `publish_error`, next due time, lease freed). `markPublishDead` makes it a dead letter:
 *   `failed` with the reason and `dead_at`. Both return whether the record was `predictable`.
 * - Dead letters: `listDead` (oldest first); `replayDead` moves a dead `failed` record back to
 *   `predictable`, due now, attempts reset; `discardDead` and `purgeDead` (dead before a date) clear
 *   the mark, leaving the job `failed`. They return whether / how many records changed.
 * - `claimStalled` finds `processing` records not updated since `stalledBefore` (their frames
 *   stopped arriving), and claims each atomically by bumping `updated_at` to `now` and `drives` by
 *   one: of several sweepers only one gets a given record per stall.
 * - `frameResults` yields a job's frame results ascending by frame, without loading them all at once.
 */
export interface RunnerStore {
  start(init: RunnerStart): Promise<RunnerRecord>;
  get(jobId: string): Promise<RunnerRecord | undefined>;
  list(): Promise<RunnerRecord[]>;
  setTotalFrames(jobId: string, total: number): Promise<RunnerRecord | undefined>;
  addFrameResult(jobId: string, result: FrameResult): Promise<RunnerRecord | undefined>;
  markPredictable(jobId: string): Promise<boolean>;
  claimPredictable(claim: Claim): Promise<RunnerRecord[]>;
  recordPublishFailure(jobId: string, error: string, nextAttemptAt: Date): Promise<boolean>;
  markPublishDead(jobId: string, reason: string, at: Date): Promise<boolean>;
  listDead(limit: number): Promise<RunnerRecord[]>;
  replayDead(jobId: string, at: Date): Promise<boolean>;
  discardDead(jobId: string): Promise<boolean>;
  purgeDead(deadBefore: Date): Promise<number>;
  claimStalled(stalledBefore: Date, now: Date, limit: number): Promise<RunnerRecord[]>;
  markReady(jobId: string, at: Date, output: { bucket: string; object: string }): Promise<boolean>;
  markFailed(jobId: string, reason: string, at: Date): Promise<boolean>;
  frameResults(jobId: string): AsyncIterable<FrameResult>;
  countByStatus(): Promise<Partial<Record<RunnerStatus, number>>>;
  deleteAll(): Promise<void>;
}
