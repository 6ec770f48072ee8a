import type { MongoRunnerCollections } from '../mongo/runner-collections.js';
import { notifyKey, thePending, toNotification } from '../mongo/runner-documents.js';
import type { NotificationsOutbox } from '../../ports/notifications-outbox.js';
import type { Claim } from '../../core/job.js';
import type { Notification, NotificationRef } from '../../core/notification.js';

/** The notifications outbox in MongoDB: the records' `webhook_*` fields, leased through `runner_leases` (`notify:{id}`). */
export class MongoNotificationsOutbox implements NotificationsOutbox {
  constructor(private readonly db: MongoRunnerCollections) {}

  /** Claims through `MongoLeases` (keys `notify:{id}`), as `claimPredictable` does. */
  async claimNotifications(c: Claim): Promise<Notification[]> {
    const claimed = await this.db.claimByLeases(
      c,
      this.db.notifiable,
      notifyKey(''),
      { until: 'webhook_lease_until', owner: 'webhook_lease_owner' },
      { webhook_status: 'pending', status: { $in: ['ready', 'failed'] } },
      { webhook_next_at: { $lte: c.now } },
    );
    return claimed.map(toNotification);
  }

  async markNotified(n: NotificationRef, at: Date): Promise<boolean> {
    const u = await this.db.records.updateOne(thePending(n), {
      $set: { webhook_status: 'delivered', webhook_delivered_at: at, webhook_lease_until: new Date(0) },
      $unset: { webhook_lease_owner: '' },
    });
    if (u.modifiedCount === 1) await this.db.leases.forget([notifyKey(n.event_id)]);
    return u.modifiedCount === 1;
  }

  async recordNotificationFailure(n: NotificationRef, error: string, nextAttemptAt: Date): Promise<boolean> {
    await this.db.leases.release([notifyKey(n.event_id)]);
    const u = await this.db.records.updateOne(thePending(n), {
      $inc: { webhook_attempts: 1 },
      $set: { webhook_error: error, webhook_next_at: nextAttemptAt, webhook_lease_until: new Date(0) },
      $unset: { webhook_lease_owner: '' },
    });
    if (u.modifiedCount === 1) await this.db.notifiable.raise(nextAttemptAt);
    return u.modifiedCount === 1;
  }

  async markNotificationDead(n: NotificationRef, error: string, at: Date): Promise<boolean> {
    await this.db.leases.release([notifyKey(n.event_id)]);
    const u = await this.db.records.updateOne(thePending(n), {
      $inc: { webhook_attempts: 1 },
      $set: { webhook_status: 'dead', webhook_error: error, webhook_dead_at: at, webhook_lease_until: new Date(0) },
      $unset: { webhook_lease_owner: '' },
    });
    return u.modifiedCount === 1;
  }
}
