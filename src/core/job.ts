/**
 * The job state machine.
 *
 *   outbox:  new ──relay publishes──▶ sent
 *   runner:  processing ──all frames in──▶ predictable ──JSON written──▶ ready
 *            processing | predictable ──cannot complete──▶ failed
 *
 * A job's status as clients see it is the furthest of the two: the runner's once it has a record,
 * else the outbox's. `ready` and `failed` are final: nothing moves a job out of them.
 */

export type OutboxStatus = 'new' | 'sent';
export type RunnerStatus = 'processing' | 'predictable' | 'ready' | 'failed';
export type JobStatus = OutboxStatus | RunnerStatus;

export const JOB_STATUSES: readonly JobStatus[] = ['new', 'sent', 'processing', 'predictable', 'ready', 'failed'];

const TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  new: ['sent', 'failed'],
  sent: ['processing', 'failed'],
  processing: ['predictable', 'failed'],
  predictable: ['ready', 'failed'],
  ready: [],
  failed: [],
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isFinal(status: JobStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export const STATUS_DESCRIPTIONS: Record<JobStatus, string> = {
  new: 'Accepted; waiting to be dispatched',
  sent: 'Dispatched to the runner; waiting to start',
  processing: 'Extracting frames and detecting objects',
  predictable: 'All frames detected; publishing the result',
  ready: 'Detections ready',
  failed: 'Failed',
};

/** What the client sees: the runner's status once the runner has the job, else the outbox's. */
export function jobStatus(outbox: OutboxStatus, runner: RunnerStatus | undefined): JobStatus {
  return runner ?? outbox;
}

/** How a job samples and preprocesses frames; fixed when the runner starts the job. */
export interface JobParameters {
  sample_every: number;
}

export interface OutboxEvent {
  _id: string;
  payload: { bucket: string; object: string; media_type: string };
  status: OutboxStatus;
  created_at: Date;
  sent_at?: Date;
}

export interface RunnerStart {
  _id: string;
  created_at: Date;
  /** Sampled frames expected from the container's frame count, for progress; may be off. */
  expected_frames: number | null;
  parameters: JobParameters;
}

export interface RunnerRecord extends RunnerStart {
  status: RunnerStatus;
  /** Sampled frames of the job; null until extraction has finished. */
  total_frames: number | null;
  /** Distinct frames with a stored result. */
  received_frames: number;
  updated_at: Date;
  ready_at?: Date;
  failed_at?: Date;
  output_s3?: { bucket: string; object: string };
  /** Why the job failed, for a person to read. */
  error?: string;
}

export function allFramesIn(r: Pick<RunnerRecord, 'total_frames' | 'received_frames'>): boolean {
  return r.total_frames !== null && r.received_frames >= r.total_frames;
}

/**
 * A claim on outbox work: up to `limit` items, held by `owner` until `now + leaseMs`. While the lease
 * lasts no other claimer gets them; if the owner dies the lease expires and the work is claimed
 * again, so nothing is lost and two workers never hold the same item at once. An owner may
 * re-claim its own leased items (a restarted embedded process, whose owner name is stable, resumes
 * at once instead of waiting out its previous life's leases).
 */
export interface Claim {
  owner: string;
  limit: number;
  leaseMs: number;
  now: Date;
}
