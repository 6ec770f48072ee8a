import { prepared, type SqliteDatabase } from './database.js';
import type { RunnerRecord, RunnerStatus, VideoRef } from '../../core/job.js';
import { webhookUrlOf, type Notification, type NotificationRef, type NotifiedStatus } from '../../core/notification.js';

/** A `runner_predictions` row (see `runner-schema.ts`). */
export interface RunnerRow {
  _id: string;
  status: RunnerStatus;
  total_frames: number | null;
  received_frames: number;
  expected_frames: number | null;
  parameters: string;
  created_at: number;
  updated_at: number;
  ready_at: number | null;
  failed_at: number | null;
  output_s3: string | null;
  error: string | null;
  warnings: string | null;
  input: string | null;
  video: string | null;
  traceparent: string | null;
  drives: number;
  publish_attempts: number;
  publish_next_at: number;
  publish_error: string | null;
  dead_at: number | null;
  segments: number;
}

export const toRecord = (r: RunnerRow): RunnerRecord => ({
  _id: r._id,
  status: r.status,
  total_frames: r.total_frames,
  received_frames: r.received_frames,
  expected_frames: r.expected_frames,
  parameters: JSON.parse(r.parameters) as RunnerRecord['parameters'],
  created_at: new Date(r.created_at),
  updated_at: new Date(r.updated_at),
  ...(r.ready_at !== null ? { ready_at: new Date(r.ready_at) } : {}),
  ...(r.failed_at !== null ? { failed_at: new Date(r.failed_at) } : {}),
  ...(r.output_s3 !== null ? { output_s3: JSON.parse(r.output_s3) as RunnerRecord['output_s3'] } : {}),
  ...(r.error !== null ? { error: r.error } : {}),
  ...(r.warnings !== null && r.warnings !== undefined ? { warnings: JSON.parse(r.warnings) as RunnerRecord['warnings'] } : {}),
  ...(r.input !== null ? { input: JSON.parse(r.input) as RunnerRecord['input'] } : {}),
  ...(r.video !== null ? { video: JSON.parse(r.video) as RunnerRecord['video'] } : {}),
  ...(r.traceparent !== null ? { traceparent: r.traceparent } : {}),
  ...(r.segments > 1 ? { segments: r.segments } : {}),
  drives: r.drives,
  publish_attempts: r.publish_attempts,
  ...(r.publish_next_at > 0 ? { publish_next_at: new Date(r.publish_next_at) } : {}),
  ...(r.publish_error !== null ? { publish_error: r.publish_error } : {}),
  ...(r.dead_at !== null ? { dead_at: new Date(r.dead_at) } : {}),
});

/** The job's record as stored, or `undefined`. */
/**
 * A condition true unless the job, created at the time bound to `@created_at`, was created
 * before a cleanup's cutoff (`JobRecords.clearBefore`): the guard of every write that creates a record.
 */
export const NOT_CLEARED = 'NOT EXISTS (SELECT 1 FROM runner_cleanup WHERE cutoff > @created_at)';

export function recordOf(db: SqliteDatabase, id: string): RunnerRecord | undefined {
  const r = prepared(db, 'SELECT * FROM runner_predictions WHERE _id = ?').get(id) as RunnerRow | undefined;
  return r && toRecord(r);
}

export interface NotificationRow extends RunnerRow {
  webhook_attempts: number;
  webhook_next_at: number;
  webhook_error: string | null;
  webhook_dead_at: number | null;
}

/**
 * SET clauses that make the notification pending (due at `at`, attempts 0) when `input` asks for a
 * webhook: part of the very write that makes the job final, so the two cannot be separated.
 */
export const notifyIfAsked = (input: string, at: string) =>
  `webhook_status = CASE WHEN COALESCE(json_extract(${input}, '$.options.webhook_url'), '') <> '' THEN 'pending' ELSE webhook_status END,
   webhook_attempts = 0, webhook_next_at = ${at}, webhook_error = NULL, webhook_dead_at = NULL, webhook_lease_until = 0, webhook_lease_owner = NULL`;

/** The pending status a new record's notification starts with: due when its input asks for a webhook. */
export const initialWebhookStatus = (input: VideoRef | undefined) => (webhookUrlOf(input) ? 'pending' : null);

export const FREE_NOTIFICATION_LEASE = 'webhook_lease_until = 0, webhook_lease_owner = NULL';
/** The pending notification of the job's current ending (see `NotificationRef`). */
export const THE_PENDING = "_id = ? AND status = ? AND (CASE status WHEN 'ready' THEN ready_at ELSE failed_at END) = ? AND webhook_status = 'pending'";
export const refArgs = (n: NotificationRef) => [n.event_id, n.status, n.occurred_at.getTime()];

export const toNotification = (r: NotificationRow): Notification => {
  const input = r.input !== null ? (JSON.parse(r.input) as VideoRef) : undefined;
  return {
    event_id: r._id,
    status: r.status as NotifiedStatus,
    webhook_url: webhookUrlOf(input) ?? '',
    occurred_at: new Date((r.status === 'ready' ? r.ready_at : r.failed_at) ?? r.updated_at),
    created_at: new Date(r.created_at),
    ...(r.status === 'failed' && r.error !== null ? { reason: r.error } : {}),
    attempts: r.webhook_attempts,
    next_attempt_at: new Date(r.webhook_next_at),
    ...(r.webhook_error !== null ? { last_error: r.webhook_error } : {}),
    ...(r.webhook_dead_at !== null ? { dead_at: new Date(r.webhook_dead_at) } : {}),
    ...(r.traceparent !== null ? { traceparent: r.traceparent } : {}),
  };
};
