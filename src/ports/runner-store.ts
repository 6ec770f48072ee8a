import type { Claim, RunnerRecord, RunnerStart, RunnerStatus, VideoRef } from '../core/job.js';
import type { FrameResult } from '../core/types.js';
import type { Notification, NotificationRef } from '../core/notification.js';

/**
 * RunnerStore: `runner_db.runner_predictions` plus one frame result per (job, frame).
 *
 * Contract (every write is atomic and conditional, so redelivered messages are harmless):
 * - `start` creates the record in `processing`, or returns the existing one unchanged.
 * - `setTotalFrames` records how many sampled frames the job has (known once extraction ends), or,
 *   for a job extracted in segments (`RunnerStart.segments` > 1), how many segment `segment` has:
 *   the job's total is then known, the sum, once every segment has reported (a segment reporting
 *   again replaces its count). Only for `processing` records; returns the record after the write.
 * - `addFrameResult` stores a frame result once per (job, frame): a duplicate changes nothing.
 *   `received_frames` counts distinct frames. Returns `undefined` when the job is unknown.
 * - `markPredictable` moves `processing` → `predictable` only when every frame is in;
 *   returns whether it moved.
 * - `markReady` moves `predictable` → `ready` (with `ready_at`, `output_s3`) and drops the job's frame
 *   results: the published document holds them from then on, and a store that kept every job's
 *   results would make each later read slower (a MongoDB-protocol server without indexed queries
 *   scans them all). `markFailed` moves any non-final record (creating it if needed) → `failed`
 *   with a reason, keeping the results (a dead publish may be replayed). Both return whether they
 *   moved.
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
 * - `frameResults` yields a job's frame results ascending by frame, without loading them all at once;
 *   nothing once the job is `ready`.
 * - `countActive(owner, dispatched)` counts the owner's jobs that are not final: of `dispatched`
 *   (job ids the outbox holds as `new` or `sent`; duplicates count once) those with no record or a
 *   `processing`/`predictable` one, plus the owner's (`input.owner`) `processing`/`predictable`
 *   records not among them (jobs whose event was removed after its retention). Indexed by owner.
 *
 * Webhook notifications (the third outbox; see `core/notification.ts`). The record is the
 * notification's outbox: `markReady`, `markFailed` and `markPublishDead` make the job's notification
 * `pending` (due at once, attempts 0) in the same write that makes the job final, when its `input`
 * asks for a webhook (`input.options.webhook_url`); `markFailed` stores the `input` it is given on a
 * record that has none (a job that failed before the runner started it), so its webhook is known.
 * - `claimNotifications` atomically claims up to `limit` pending notifications of `ready`/`failed`
 *   records that are due and whose notification lease is free, expired or the claimer's, oldest job
 *   first (a lease of its own: a record's publish lease never delays its notification).
 * - `markNotified` (delivered), `recordNotificationFailure` (attempts + 1, last error, next due time,
 *   lease freed) and `markNotificationDead` (a dead letter with the error, attempts + 1, `dead_at`)
 *   change only the pending notification named by the ref (the job's current ending); they return
 *   whether it changed.
 * - Dead letters: `listDeadNotifications` (oldest first); `replayNotification` makes a dead one
 *   pending, due now, attempts reset; `discardNotification` and `purgeDeadNotifications` (dead before
 *   a date) set it `discarded`. They return whether / how many changed.
 * - `failUndispatched` records a job whose `video.submitted` event became a dead letter in the jobs
 *   outbox (the runner never had it): a `failed` record with the reason, its input and its
 *   notification due — only if the job has no record at all; returns whether it created one.
 *   `forgetUndispatched` deletes such a record (and only such), for an operator who replays or
 *   discards the dead event; returns whether it did.
 */
export interface RunnerStore {
  start(init: RunnerStart): Promise<RunnerRecord>;
  get(jobId: string): Promise<RunnerRecord | undefined>;
  list(): Promise<RunnerRecord[]>;
  setTotalFrames(jobId: string, total: number, segment?: number): Promise<RunnerRecord | undefined>;
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
  /** `input`: the job's video and options, for a job the runner had not started (see above). */
  markFailed(jobId: string, reason: string, at: Date, input?: VideoRef): Promise<boolean>;
  frameResults(jobId: string): AsyncIterable<FrameResult>;
  countByStatus(): Promise<Partial<Record<RunnerStatus, number>>>;
  countActive(owner: string, dispatched: readonly string[]): Promise<number>;
  deleteAll(): Promise<void>;
  claimNotifications(claim: Claim): Promise<Notification[]>;
  markNotified(n: NotificationRef, at: Date): Promise<boolean>;
  recordNotificationFailure(n: NotificationRef, error: string, nextAttemptAt: Date): Promise<boolean>;
  markNotificationDead(n: NotificationRef, error: string, at: Date): Promise<boolean>;
  listDeadNotifications(limit: number): Promise<Notification[]>;
  replayNotification(jobId: string, at: Date): Promise<boolean>;
  discardNotification(jobId: string): Promise<boolean>;
  purgeDeadNotifications(deadBefore: Date): Promise<number>;
  failUndispatched(job: { _id: string; created_at: Date; input: VideoRef; traceparent?: string }, reason: string, at: Date): Promise<boolean>;
  forgetUndispatched(jobId: string): Promise<boolean>;
}
