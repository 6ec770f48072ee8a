import { prepared, type SqliteDatabase } from '../sqlite/database.js';
import { ensureRunnerSchema } from '../sqlite/runner-schema.js';
import { FREE_NOTIFICATION_LEASE, refArgs, THE_PENDING, toNotification, type NotificationRow } from '../sqlite/runner-rows.js';
import type { NotificationsOutbox } from '../../ports/notifications-outbox.js';
import type { Claim } from '../../core/job.js';
import type { Notification, NotificationRef } from '../../core/notification.js';

/** The notifications outbox in SQLite: the `webhook_*` columns of `runner_predictions`. */
export class SqliteNotificationsOutbox implements NotificationsOutbox {
  constructor(private readonly db: SqliteDatabase) {
    ensureRunnerSchema(db);
  }

  async claimNotifications(c: Claim): Promise<Notification[]> {
    const now = c.now.getTime();
    return this.db.transaction(() => {
      const rows = prepared(
        this.db,
        `SELECT * FROM runner_predictions WHERE webhook_status = 'pending' AND webhook_next_at <= ? AND status IN ('ready', 'failed')
             AND (webhook_lease_until <= ? OR webhook_lease_owner = ?) ORDER BY created_at, _id LIMIT ?`,
      ).all(now, now, c.owner, c.limit) as NotificationRow[];
      const lease = prepared(this.db, 'UPDATE runner_predictions SET webhook_lease_until = ?, webhook_lease_owner = ? WHERE _id = ?');
      for (const r of rows) lease.run(now + c.leaseMs, c.owner, r._id);
      return rows.map(toNotification);
    })();
  }

  async markNotified(n: NotificationRef, at: Date): Promise<boolean> {
    return (
      prepared(
        this.db,
        `UPDATE runner_predictions SET webhook_status = 'delivered', webhook_delivered_at = ?, ${FREE_NOTIFICATION_LEASE} WHERE ${THE_PENDING}`,
      ).run(at.getTime(), ...refArgs(n)).changes === 1
    );
  }

  async recordNotificationFailure(n: NotificationRef, error: string, nextAttemptAt: Date): Promise<boolean> {
    return (
      prepared(
        this.db,
        `UPDATE runner_predictions SET webhook_attempts = webhook_attempts + 1, webhook_error = ?, webhook_next_at = ?, ${FREE_NOTIFICATION_LEASE} WHERE ${THE_PENDING}`,
      ).run(error, nextAttemptAt.getTime(), ...refArgs(n)).changes === 1
    );
  }

  async markNotificationDead(n: NotificationRef, error: string, at: Date): Promise<boolean> {
    return (
      prepared(
        this.db,
        `UPDATE runner_predictions SET webhook_status = 'dead', webhook_attempts = webhook_attempts + 1, webhook_error = ?, webhook_dead_at = ?, ${FREE_NOTIFICATION_LEASE} WHERE ${THE_PENDING}`,
      ).run(error, at.getTime(), ...refArgs(n)).changes === 1
    );
  }
}
