import { prepared, type SqliteDatabase } from '../sqlite/database.js';
import { ensureRunnerSchema } from '../sqlite/runner-schema.js';
import { toNotification, type NotificationRow } from '../sqlite/runner-rows.js';
import type { NotificationsDeadLetters } from '../../ports/notifications-dead-letters.js';
import type { Notification } from '../../core/notification.js';

/** Dead webhook notifications in SQLite: `runner_predictions` rows whose `webhook_status` is `dead`. */
export class SqliteNotificationsDeadLetters implements NotificationsDeadLetters {
  constructor(private readonly db: SqliteDatabase) {
    ensureRunnerSchema(db);
  }

  async listDeadNotifications(limit: number): Promise<Notification[]> {
    const rows = prepared(
      this.db,
      "SELECT * FROM runner_predictions WHERE webhook_status = 'dead' AND status IN ('ready', 'failed') ORDER BY webhook_dead_at, _id LIMIT ?",
    ).all(limit) as NotificationRow[];
    return rows.map(toNotification);
  }

  async replayNotification(jobId: string, at: Date): Promise<boolean> {
    const r = prepared(
      this.db,
      `UPDATE runner_predictions SET webhook_status = 'pending', webhook_attempts = 0, webhook_next_at = ?, webhook_dead_at = NULL
         WHERE _id = ? AND webhook_status = 'dead' AND status IN ('ready', 'failed')`,
    ).run(at.getTime(), jobId);
    return r.changes === 1;
  }

  async discardNotification(jobId: string): Promise<boolean> {
    return prepared(this.db, "UPDATE runner_predictions SET webhook_status = 'discarded' WHERE _id = ? AND webhook_status = 'dead'").run(jobId).changes === 1;
  }

  async purgeDeadNotifications(deadBefore: Date): Promise<number> {
    return prepared(this.db, "UPDATE runner_predictions SET webhook_status = 'discarded' WHERE webhook_status = 'dead' AND webhook_dead_at < ?").run(
      deadBefore.getTime(),
    ).changes;
  }
}
