import { clientReason } from './client-reason.js';
import { createHash } from 'node:crypto';
import type { VideoRef } from './job.js';
import { secondsBetween } from './duration.js';

/**
 * Webhook notifications: a job that asked for one (`options.webhook_url`) is announced to that URL
 * when it ends `ready` or `failed`. The runner record is the notification's outbox (the third
 * outbox, on the same engine): the write that makes a job final also makes its notification
 * `pending`, so no crash can separate the two. The notifier then claims it, POSTs it, and marks it
 * `delivered`; failures back off and, past their attempts, make it `dead` (an operator's dead
 * letter, replayable). A replayed job that ends again is announced again, as a new notification.
 *
 *   pending ──2xx──▶ delivered
 *   pending ──failed past its attempts, or 410 Gone──▶ dead ──replay──▶ pending
 *   dead ──discard / retention──▶ discarded
 */
export type NotificationStatus = 'pending' | 'delivered' | 'dead' | 'discarded';

/** The final job statuses that are announced. */
export type NotifiedStatus = 'ready' | 'failed';

/** One notification: a job's final status, to announce to its webhook. */
export interface Notification {
  event_id: string;
  status: NotifiedStatus;
  webhook_url: string;
  /** When the job reached `status` (`ready_at` / `failed_at`). With the two above it names the notification. */
  occurred_at: Date;
  /** When the job was submitted. */
  created_at: Date;
  /** Why the job failed (`failed` only). */
  reason?: string;
  /** Failed delivery attempts so far. */
  attempts: number;
  /** Not claimed before this (backoff after a failed attempt). */
  next_attempt_at: Date;
  last_error?: string;
  /** Set when it became a dead letter. */
  dead_at?: Date;
  traceparent?: string;
}

/**
 * What names a notification in the store's conditional writes: a write for the notification of an
 * earlier ending of the job (before an operator replayed it) must not touch the current one.
 */
export type NotificationRef = Pick<Notification, 'event_id' | 'status' | 'occurred_at'>;

/** The webhook a job asked for, if any. */
export const webhookUrlOf = (input: Pick<VideoRef, 'options'> | undefined): string | undefined => input?.options?.webhook_url || undefined;

/** `X-Framewise-Event`. */
export const webhookEvent = (n: Pick<Notification, 'status'>) => `job.${n.status}` as const;

// A fixed namespace for delivery ids (UUID v5, RFC 9562 §5.5): the same notification always gets the same id.
const NAMESPACE = Buffer.from('6f0f1c2e9d7a4b0c8e5d3a2b1c0d9e8f', 'hex');

/**
 * The delivery id: stable across every retry (and replay) of one notification, so receivers drop
 * duplicates by it; distinct for each notification, including a job that ends a second time after
 * an operator replayed it (its `occurred_at` differs). A UUID v5 of event id, status and time.
 */
export function deliveryId(n: NotificationRef): string {
  const hash = createHash('sha1').update(NAMESPACE).update(`${n.event_id}/${n.status}/${n.occurred_at.toISOString()}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The JSON body of a webhook call (see docs/api/webhooks.md). */
export interface WebhookBody {
  delivery_id: string;
  event_id: string;
  status: NotifiedStatus;
  occurred_at: string;
  reason?: string;
  /** Where the result is, as a path of the API (the notifier does not know the API's public address). */
  result_url?: string;
  processing_time_seconds?: number;
}

export function webhookBody(n: Notification): WebhookBody {
  return {
    delivery_id: deliveryId(n),
    event_id: n.event_id,
    status: n.status,
    occurred_at: n.occurred_at.toISOString(),
    ...(n.status === 'failed' ? { reason: clientReason(n.reason ?? 'unknown') } : { result_url: `/api/result_video/${n.event_id}` }),
    processing_time_seconds: Math.max(0, secondsBetween(n.created_at, n.occurred_at)),
  };
}
