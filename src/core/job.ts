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
