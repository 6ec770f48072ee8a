import type { RunnerRecord, SubmittedJob } from '../core/job.js';
import type { FrameResult } from '../core/types.js';

/**
 * FrameCollection: a `processing` job's frame results (one per (job, frame)) and its frame total,
 * until every sampled frame is in (`predictable`) — the runner's extraction, collection and stall
 * sweep. Every write is atomic and conditional, so redelivered messages are harmless.
 */
export interface FrameCollection {
  /**
   * Records how many sampled frames the job has (known once extraction ends), or, for a job
   * extracted in segments (`RunnerStart.segments` > 1), how many segment `segment` has: the job's
   * total is then known, the sum, once every segment has reported. Only for `processing` records
   * (any other status: nothing changes). Idempotent: a repeat (a re-driven extraction counts the
   * same total) or a segment reporting again replaces its count. Changes no status (the caller
   * then asks `markPredictable`). Returns the record after the write, `undefined` for an unknown job.
   */
  setTotalFrames(jobId: string, total: number, segment?: number): Promise<RunnerRecord | undefined>;
  /**
   * Stores a frame result once per (job, frame), only while the job is `processing`:
   * `received_frames` counts distinct frames, so a duplicate (a redelivered result) changes nothing
   * and counts nothing. The caller's promise resolves only once its own result is stored, so a
   * message acknowledged after it is never lost. Changes no status. Returns the record after the
   * write (unchanged if the job is not `processing`), `undefined` when the job is unknown.
   */
  addFrameResult(jobId: string, result: FrameResult): Promise<RunnerRecord | undefined>;
  /**
   * Moves `processing` → `predictable` only when every frame is in (the total is known and
   * `received_frames` ≥ it), making the job claimable by the result publisher. Atomic and
   * conditional: of several callers (extractor and collector may both see the last frame) exactly
   * one moves it; a repeat returns `false`. Returns whether it moved.
   */
  markPredictable(jobId: string): Promise<boolean>;
  /**
   * Yields a job's frame results ascending by frame, in pages, never loading them all at once;
   * nothing once the job is `ready` (`markReady` drops them: the published document holds them).
   * A read: no status changes.
   */
  frameResults(jobId: string): AsyncIterable<FrameResult>;
  /**
   * Finds up to `limit` `processing` records not updated since `stalledBefore` (their frames
   * stopped arriving), oldest update first, and claims each atomically by bumping `updated_at` to
   * `now` and `drives` by one: of several sweepers only one gets a given record per stall (the next
   * stall of the job is a new claim). Changes no status. Returns the claimed records as bumped.
   */
  claimStalled(stalledBefore: Date, now: Date, limit: number): Promise<RunnerRecord[]>;
  /**
   * Moves any non-final record (`processing` or `predictable`) → `failed` with `reason` and
   * `failed_at`; keeps its frame results (a dead publish may be replayed). In the same atomic write
   * it makes the job's webhook notification `pending` (due at once, attempts 0) when its input asks
   * for one (`input.options.webhook_url`). `job`: the job as its event describes it; given, a job
   * with no record (one that failed before the runner started it) gets a `failed` record, created
   * at `job.created_at` and keeping `job.input` (also stored on a record that has none, so its
   * webhook is known) — unless it was created before the cleanup cutoff
   * (`JobRecords.clearBefore`). Without `job` an unknown job stays unknown (a result of a job a
   * cleanup removed). A `ready` or `failed` record is final: a repeat changes nothing and returns
   * `false`. Returns whether it moved (or created) the record.
   */
  markFailed(jobId: string, reason: string, at: Date, job?: SubmittedJob): Promise<boolean>;
}
