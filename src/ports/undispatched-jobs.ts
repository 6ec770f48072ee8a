import type { VideoRef } from '../core/job.js';

/** A job whose `video.submitted` event died in the jobs outbox, as `failUndispatched` records it. */
export interface UndispatchedJob {
  _id: string;
  created_at: Date;
  input: VideoRef;
  traceparent?: string;
}

/**
 * UndispatchedJobs: jobs that failed before the runner ever had them (their event became a dead
 * letter in the jobs outbox), recorded so that their webhook is announced like any other ending.
 */
export interface UndispatchedJobs {
  /**
   * Records such a job: a `failed` record with the reason, its input, its trace and its webhook
   * notification `pending` (when the input asks for one), marked undispatched — only if the job has
   * no record at all (one atomic insert-if-absent: a runner record that exists, in any status, is
   * left as it is), and only if it was not created before the cleanup cutoff (`JobRecords.clearBefore`).
   * A repeat changes nothing. Returns whether it created the record.
   */
  failUndispatched(job: UndispatchedJob, reason: string, at: Date): Promise<boolean>;
  /**
   * Deletes a record `failUndispatched` created (and only such: a record the runner wrote is left
   * as it is), with its notification, for an operator who replays or discards the dead event.
   * Idempotent: a repeat returns `false`. Returns whether it deleted one.
   */
  forgetUndispatched(jobId: string): Promise<boolean>;
}
