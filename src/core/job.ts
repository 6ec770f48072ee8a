/**
 * The job state machine.
 *
 *   outbox:  new ──relay publishes──▶ sent
 *            new ──publishing failed past its attempts──▶ dead   (a dead letter; clients see `failed`)
 *   runner:  processing ──all frames in──▶ predictable ──JSON written──▶ ready
 *            processing | predictable ──cannot complete──▶ failed
 *
 * A job's status as clients see it is the furthest of the two: the runner's once it has a record,
 * else the outbox's. `ready` and `failed` are final for the pipeline: the one way out of `failed`
 * is an operator replaying a dead letter (outbox `dead` → `new`, or a result that could not be
 * published: `failed` → `predictable`).
 */
import type { ResultWarning } from './damage.js';

export type OutboxStatus = 'new' | 'sent' | 'dead';
export type RunnerStatus = 'processing' | 'predictable' | 'ready' | 'failed';
/** The status a client sees (an outbox `dead` letter shows as `failed`). */
export type JobStatus = Exclude<OutboxStatus, 'dead'> | RunnerStatus;

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
export function jobStatus(outbox: OutboxStatus | undefined, runner: RunnerStatus | undefined): JobStatus {
  if (runner) return runner;
  return outbox === 'dead' ? 'failed' : (outbox ?? 'sent');
}

/**
 * What a client may ask of a job at upload (form fields, query or JSON), validated by the API.
 * Absent fields take the server's defaults. `sample_every` and `sample_fps` exclude each other.
 */
export interface JobOptions {
  /** Detect every Nth decoded frame (1 = every frame). */
  sample_every?: number;
  /** Or: about this many frames per second of video (the nearest whole step). */
  sample_fps?: number;
  /** Minimum confidence of a kept detection (0–1). */
  confidence?: number;
  /** IoU above which two boxes of one class are one object (NMS), 0–1. */
  iou?: number;
  /** Keep only these classes (names as the model reports them). */
  classes?: string[];
  /** Also render an MP4 with the boxes drawn, stored beside the JSON. */
  annotate?: boolean;
  /** Called (POST, signed) when the job ends `ready` or `failed`. */
  webhook_url?: string;
}

/** How a job samples and detects; fixed when the runner starts the job, and published with the result. */
export interface JobParameters {
  sample_every: number;
  /** The rate the client asked for, if it asked by rate (`sample_every` is what it resolved to). */
  sample_fps?: number;
  /** The model the job chose (absent for jobs of version 0.1: the bundled one). */
  model?: string;
  /** Detection thresholds the job ran with (absent for jobs of version 0.2 and before: the worker's). */
  confidence?: number;
  iou?: number;
  /** Classes kept; absent: all. */
  classes?: string[];
  /** Boxes of different classes suppressed each other too (the model's default); absent: class-wise NMS only. */
  class_agnostic_nms?: boolean;
  /** Whether an annotated MP4 was asked for. */
  annotate?: boolean;
}

/** What the runner learnt about a job's video when it started (ffprobe). */
export interface VideoMetadata {
  /** Display size: rotation applied. Boxes are in these pixels; `box_norm` divides by them. */
  width: number;
  height: number;
  /** Average frame rate, if the container states one. */
  fps: number | null;
  duration_ms: number | null;
  /** Frames the container states (or estimates), if any. */
  frame_count: number | null;
  codec: string;
  /** Clockwise rotation applied to the decoded frames (0, 90, 180, 270). */
  rotation: number;
}

/** Where a job's video is, and the model it chose: the payload of its `video.submitted` event. */
export interface VideoRef {
  bucket: string;
  object: string;
  media_type: string;
  /** The detector to run, by name (see `Config.models`); absent: the worker's default. */
  model?: string;
  /** The client's options (absent for jobs of version 0.2 and before). */
  options?: JobOptions;
  /**
   * The id of the API key that created the job: only it (and admins) may see the job. Absent for
   * jobs made while authentication was off.
   */
  owner?: string;
}

/**
 * A job as its `video.submitted` event describes it: when the API created it (the clock every
 * cleanup cutoff is compared with) and its input. What a record made for a job the runner never
 * started keeps.
 */
export interface SubmittedJob {
  created_at: Date;
  input: VideoRef;
}

/** The one event type the jobs outbox carries today: a client submitted a video. */
export const VIDEO_SUBMITTED = 'video.submitted';

/**
 * An outbox event: the envelope (as Debezium's outbox router names it) around the payload.
 * `_id` is the event id and, for `video.submitted`, also the job's id (the design's (docs/architecture.md) `event_id`).
 */
export interface OutboxEvent {
  _id: string;
  event_type: string;
  aggregate_type: string;
  aggregate_id: string;
  /** The bus topic the relay publishes it to. */
  topic: string;
  payload: VideoRef;
  status: OutboxStatus;
  created_at: Date;
  /** Failed publish attempts so far. */
  attempts: number;
  /** Not claimed before this (backoff after a failed attempt). */
  next_attempt_at: Date;
  last_error?: string;
  /** W3C trace context of the request that created it. */
  traceparent?: string;
  sent_at?: Date;
  /** When it became a dead letter. */
  dead_at?: Date;
}

/** What the API hands to `JobsOutbox.insert`: the store fills in the delivery bookkeeping. */
export type NewOutboxEvent = Omit<OutboxEvent, 'status' | 'attempts' | 'next_attempt_at' | 'last_error' | 'sent_at' | 'dead_at'>;

/** The `video.submitted` event of a new job. */
export function videoSubmitted(id: string, video: VideoRef, topic: string, traceparent: string | undefined, at = new Date()): NewOutboxEvent {
  return {
    _id: id,
    event_type: VIDEO_SUBMITTED,
    aggregate_type: 'job',
    aggregate_id: id,
    topic,
    payload: video,
    created_at: at,
    ...(traceparent ? { traceparent } : {}),
  };
}

export interface RunnerStart {
  _id: string;
  created_at: Date;
  /** Sampled frames expected from the container's frame count, for progress; may be off. */
  expected_frames: number | null;
  parameters: JobParameters;
  /** The job's video, so a stalled job can be driven again without the outbox. */
  input?: VideoRef;
  /** The video's metadata (absent for jobs started by version 0.1). */
  video?: VideoMetadata;
  traceparent?: string;
  /** Segments the video is extracted in (`core/segments.ts`); absent: 1. */
  segments?: number;
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
  /** A `ready` job's result warnings (a partly damaged video), as its published document has them; absent when none. */
  warnings?: ResultWarning[];
  /** Why the job failed, for a person to read. */
  error?: string;
  /** Times the job was driven again after its frames stopped arriving. */
  drives?: number;
  /** Result-publisher bookkeeping (the second outbox): failed attempts, backoff, last error. */
  publish_attempts?: number;
  publish_next_at?: Date;
  publish_error?: string;
  /** Set when publishing the result failed past its attempts: a dead letter an operator may replay. */
  dead_at?: Date;
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
