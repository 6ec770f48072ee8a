import type { Claim, RunnerRecord, RunnerStart } from '../core/job.js';
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
 * - `claimPredictable` atomically claims up to `limit` `predictable` records whose lease is free or
 *   expired, oldest first (the result publisher's work list; see `Claim`).
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
  markReady(jobId: string, at: Date, output: { bucket: string; object: string }): Promise<boolean>;
  markFailed(jobId: string, reason: string, at: Date): Promise<boolean>;
  frameResults(jobId: string): AsyncIterable<FrameResult>;
  deleteAll(): Promise<void>;
}
