import type { MongoRunnerCollections } from '../mongo/runner-collections.js';
import { toNotification } from '../mongo/runner-documents.js';
import type { NotificationsDeadLetters } from '../../ports/notifications-dead-letters.js';
import type { Notification } from '../../core/notification.js';

/** Dead webhook notifications in MongoDB: records whose `webhook_status` is `dead`. */
export class MongoNotificationsDeadLetters implements NotificationsDeadLetters {
  constructor(private readonly db: MongoRunnerCollections) {}

  async listDeadNotifications(limit: number): Promise<Notification[]> {
    const dead = await this.db.records
      .find({ webhook_status: 'dead', status: { $in: ['ready', 'failed'] } })
      .sort({ webhook_dead_at: 1, _id: 1 })
      .limit(limit)
      .toArray();
    return dead.map(toNotification);
  }

  async replayNotification(jobId: string, at: Date): Promise<boolean> {
    const u = await this.db.records.updateOne(
      { _id: jobId, webhook_status: 'dead', status: { $in: ['ready', 'failed'] } },
      { $set: { webhook_status: 'pending', webhook_attempts: 0, webhook_next_at: at }, $unset: { webhook_dead_at: '' } },
    );
    if (u.modifiedCount === 1) await this.db.notifiable.raise(at);
    return u.modifiedCount === 1;
  }

  async discardNotification(jobId: string): Promise<boolean> {
    return (await this.db.records.updateOne({ _id: jobId, webhook_status: 'dead' }, { $set: { webhook_status: 'discarded' } })).modifiedCount === 1;
  }

  async purgeDeadNotifications(deadBefore: Date): Promise<number> {
    return (await this.db.records.updateMany({ webhook_status: 'dead', webhook_dead_at: { $lt: deadBefore } }, { $set: { webhook_status: 'discarded' } }))
      .modifiedCount;
  }
}
