import { VIDEO_SUBMITTED, type OutboxEvent } from '../../core/job.js';
import { TOPICS } from '../../core/topics.js';

/**
 * The stored document: the event plus its lease (`lease_until` starts at the epoch: free) and its
 * idempotency key. Every event has a key — the client's (`k:…`) or its own id (`e:…`) — because
 * FerretDB has no partial indexes: a plain unique index must never see two absent keys.
 */
export type OutboxDoc = OutboxEvent & { lease_until: Date; lease_owner?: string; idempotency_key: string };

export const clientKey = (key: string) => `k:${key}`;
export const byAge = (a: OutboxDoc, b: OutboxDoc) => a.created_at.getTime() - b.created_at.getTime() || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);

/** The event without storage fields; absent optional fields stay absent. */
export function clean(d: OutboxDoc): OutboxEvent {
  return {
    _id: d._id,
    event_type: d.event_type ?? VIDEO_SUBMITTED,
    aggregate_type: d.aggregate_type ?? 'job',
    aggregate_id: d.aggregate_id ?? d._id,
    topic: d.topic ?? TOPICS.outboxEvents,
    status: d.status,
    payload: {
      bucket: d.payload.bucket,
      object: d.payload.object,
      media_type: d.payload.media_type,
      ...(d.payload.model ? { model: d.payload.model } : {}),
      ...(d.payload.options ? { options: d.payload.options } : {}),
      ...(d.payload.owner ? { owner: d.payload.owner } : {}),
    },
    created_at: d.created_at,
    attempts: d.attempts ?? 0,
    next_attempt_at: d.next_attempt_at ?? new Date(0),
    ...(d.last_error ? { last_error: d.last_error } : {}),
    ...(d.traceparent ? { traceparent: d.traceparent } : {}),
    ...(d.sent_at ? { sent_at: d.sent_at } : {}),
    ...(d.dead_at ? { dead_at: d.dead_at } : {}),
  };
}
