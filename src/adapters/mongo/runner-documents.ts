import type { Filter } from 'mongodb';
import type { RunnerRecord } from '../../core/job.js';
import type { FrameResult } from '../../core/types.js';
import { webhookUrlOf, type Notification, type NotificationRef, type NotificationStatus, type NotifiedStatus } from '../../core/notification.js';

/** `runner_totals`: the sampled frame count of a job, known once its extraction ended. */
export interface TotalDoc {
  _id: string;
  total: number;
  at: Date;
}

/** `frame_results`: one document per (job, frame) (unique index). */
export interface FrameDoc {
  job_id: string;
  frame: number;
  timestamp_ms?: number;
  objects: FrameResult['objects'];
  model?: FrameResult['model'];
}

/** The webhook notification's bookkeeping on a record (absent: nothing to announce). */
interface NotificationFields {
  webhook_status?: NotificationStatus;
  webhook_attempts?: number;
  webhook_next_at?: Date;
  webhook_error?: string;
  webhook_delivered_at?: Date;
  webhook_dead_at?: Date;
  /** A hint for skipping leased work; the lease itself is in runner_leases (`notify:{id}`). */
  webhook_lease_until?: Date;
  webhook_lease_owner?: string;
  /** Created for a job whose event died in the jobs outbox (`failUndispatched`). */
  undispatched?: boolean;
}

/** A `runner_predictions` document: the record, its publish-lease hint and its notification. */
export type StoredRecord = RunnerRecord & { lease_until?: Date; lease_owner?: string } & NotificationFields;

/** The cleanup cutoff: jobs created before `cutoff` are removed for good (`JobRecords.clearBefore`). */
export interface CleanupDoc {
  _id: string;
  cutoff: Date;
}
export const CLEANUP_ID = 'cutoff';

/** The `runner_totals` document of segment `k` of a job extracted in segments. */
export const segmentTotalId = (jobId: string, k: number): string => `${jobId}#${k}`;

/** The `runner_totals` documents of a job in `segments` segments: its id, or one per segment. */
export const totalIds = (jobId: string, segments = 1): string[] =>
  segments <= 1 ? [jobId] : Array.from({ length: segments }, (_, k) => segmentTotalId(jobId, k));

/**
 * Nullable fields read back as null: FerretDB v1 drops null values written by `$setOnInsert`
 * (MongoDB keeps them), so an absent field means null here.
 */
export function normalize(d: RunnerRecord | null): RunnerRecord | undefined {
  if (!d) return undefined;
  const { lease_until: _l, lease_owner: _o, ...record } = withoutNotification(d as StoredRecord) as RunnerRecord & { lease_until?: Date; lease_owner?: string };
  return { ...record, total_frames: d.total_frames ?? null, expected_frames: d.expected_frames ?? null, received_frames: d.received_frames ?? 0 };
}

/** The lease key of a job's notification in `runner_leases`. */
export const notifyKey = (jobId: string) => `notify:${jobId}`;
/** The lease key of a job's result publish in `runner_leases`. */
export const publishKey = (jobId: string) => `publish:${jobId}`;

/** The record asks for a webhook (`$gt: ''` matches non-empty strings only). */
export const ASKS_FOR_WEBHOOK: Filter<StoredRecord> = { 'input.options.webhook_url': { $gt: '' } };
export const pendingNotification = (at: Date) => ({
  webhook_status: 'pending' as const,
  webhook_attempts: 0,
  webhook_next_at: at,
  webhook_lease_until: new Date(0),
});
/** What a new notification must not inherit from an earlier one of the job. */
export const FRESH_NOTIFICATION = { webhook_error: '', webhook_dead_at: '', webhook_delivered_at: '', webhook_lease_owner: '' } as const;

/** The pending notification of the job's current ending (see `NotificationRef`). */
export const thePending = (n: NotificationRef): Filter<StoredRecord> => ({
  _id: n.event_id,
  status: n.status,
  ...(n.status === 'ready' ? { ready_at: n.occurred_at } : { failed_at: n.occurred_at }),
  webhook_status: 'pending',
});

function withoutNotification(d: StoredRecord): RunnerRecord {
  const {
    webhook_status: _s,
    webhook_attempts: _a,
    webhook_next_at: _n,
    webhook_error: _e,
    webhook_delivered_at: _d,
    webhook_dead_at: _x,
    webhook_lease_until: _l,
    webhook_lease_owner: _o,
    undispatched: _u,
    ...record
  } = d;
  return record;
}

export function toNotification(d: StoredRecord): Notification {
  return {
    event_id: d._id,
    status: d.status as NotifiedStatus,
    webhook_url: webhookUrlOf(d.input) ?? '',
    occurred_at: (d.status === 'ready' ? d.ready_at : d.failed_at) ?? d.updated_at,
    created_at: d.created_at,
    ...(d.status === 'failed' && d.error ? { reason: d.error } : {}),
    attempts: d.webhook_attempts ?? 0,
    next_attempt_at: d.webhook_next_at ?? d.updated_at,
    ...(d.webhook_error ? { last_error: d.webhook_error } : {}),
    ...(d.webhook_dead_at ? { dead_at: d.webhook_dead_at } : {}),
    ...(d.traceparent ? { traceparent: d.traceparent } : {}),
  };
}
