import type { Claim } from '../core/job.js';
import type { Notification, NotificationRef } from '../core/notification.js';

/**
 * NotificationsOutbox: the third outbox, webhook notifications (see `core/notification.ts`). The
 * runner record is the notification's outbox: `ResultsOutbox.markReady`,
 * `ResultsOutbox.markPublishDead`, `FrameCollection.markFailed` and `UndispatchedJobs.failUndispatched`
 * make the job's notification `pending` (due at once, attempts 0) in the same write that makes the
 * job final, when its `input` asks for a webhook (`input.options.webhook_url`). Delivery is at
 * least once (POST, then mark; receivers de-duplicate by delivery id); every mark changes only the
 * pending notification named by the ref (the job's current ending), so a repeat, or a mark of an
 * earlier ending, changes nothing.
 */
export interface NotificationsOutbox {
  /**
   * Atomically claims up to `limit` pending notifications of `ready`/`failed` records that are due
   * and whose notification lease is free, expired or the claimer's, oldest job first, leasing them
   * until `now + leaseMs` — a lease of its own: a record's publish lease never delays its
   * notification. Two claimers never hold the same notification at once. Changes no status.
   */
  claimNotifications(claim: Claim): Promise<Notification[]>;
  /**
   * Marks the pending notification `delivered` (final) with the time, freeing its lease. Returns
   * whether it changed (`false` for a repeat or a ref that is not the job's pending ending).
   */
  markNotified(n: NotificationRef, at: Date): Promise<boolean>;
  /**
   * Counts a failed call on the pending notification: attempts + 1, last error, next due time
   * `nextAttemptAt`, lease freed; it stays `pending`. Returns whether it changed.
   */
  recordNotificationFailure(n: NotificationRef, error: string, nextAttemptAt: Date): Promise<boolean>;
  /**
   * Makes the pending notification a dead letter (`dead`, with the error, attempts + 1, `dead_at`),
   * freeing its lease. Returns whether it changed (`false` for a repeat).
   */
  markNotificationDead(n: NotificationRef, error: string, at: Date): Promise<boolean>;
}
