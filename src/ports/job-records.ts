import type { RunnerRecord, RunnerStart, RunnerStatus } from '../core/job.js';

/**
 * JobRecords: the runner's record of each job (`runner_db.runner_predictions`), created when the
 * runner starts the job and read by the API. Every write is atomic and conditional, so a
 * redelivered `video.submitted` event is harmless.
 */
export interface JobRecords {
  /**
   * Creates the job's record in `processing` (no frames received, total unknown), keeping `input`
   * (with its owner), the video's metadata, the trace and the number of segments. Atomic; a repeat
   * (a redelivered event, a concurrent start) changes nothing and returns the existing record
   * unchanged, whatever its status. Returns the record as stored, or `undefined` when the job was
   * created before the cleanup cutoff (`clearBefore`): a message of a job an operator's
   * cleanup removed (still on the bus then) never brings it back.
   */
  start(init: RunnerStart): Promise<RunnerRecord | undefined>;
  /** The job's record (its frame total merged in while it is `processing`), or `undefined` if none. A read: no status changes. */
  get(jobId: string): Promise<RunnerRecord | undefined>;
  /** Every record, oldest (`created_at`, then id) first. A read: no status changes. */
  list(): Promise<RunnerRecord[]>;
  /** How many records are in each status (statuses with none may be absent). A read. */
  countByStatus(): Promise<Partial<Record<RunnerStatus, number>>>;
  /**
   * Counts the owner's jobs that are not final: of `dispatched` (job ids the jobs outbox holds as
   * `new` or `sent`; duplicates count once) those with no record or a `processing`/`predictable`
   * one, plus the owner's (`input.owner`) `processing`/`predictable` records not among them (jobs
   * whose event was removed after its retention). Indexed by owner, so it reads that owner's
   * records only. A read: no status changes, safe to repeat.
   */
  countActive(owner: string, dispatched: readonly string[]): Promise<number>;
  /**
   * An operator's cleanup: first records `cutoff` as the cleanup cutoff (the latest of all
   * cleanups' is kept), then removes every record of a job created (`created_at`, the API's clock)
   * before it, whatever its status, with everything kept with it (frame results, frame
   * totals, leases). From then on no write of any runner port creates a record for such a job
   * (`start`, `FrameCollection.markFailed`, `UndispatchedJobs.failUndispatched` refuse it), so
   * messages still in flight cannot bring it back; jobs created at or after `cutoff` are
   * untouched. Idempotent. Returns the ids of the records removed.
   */
  clearBefore(cutoff: Date): Promise<string[]>;
  /** The cleanup cutoff `clearBefore` keeps (the latest), or `undefined` if there was no cleanup. A read. */
  cleanupCutoff(): Promise<Date | undefined>;
}
