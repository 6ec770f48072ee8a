import type { MongoOutboxCollections } from '../mongo/outbox-collections.js';
import { clean } from '../mongo/outbox-documents.js';
import type { JobsDeadLetters, Purged } from '../../ports/jobs-dead-letters.js';
import type { OutboxEvent } from '../../core/job.js';

/** The jobs outbox's dead letters (`dead` events of the work list) and retention in MongoDB. */
export class MongoJobsDeadLetters implements JobsDeadLetters {
  constructor(private readonly db: MongoOutboxCollections) {}

  async listDead(limit: number): Promise<OutboxEvent[]> {
    return (await this.db.outbox.find({ status: 'dead' }).sort({ dead_at: 1, _id: 1 }).limit(limit).toArray()).map(clean);
  }

  async replay(id: string, at: Date): Promise<boolean> {
    const r = await this.db.outbox.updateOne(
      { _id: id, status: 'dead' },
      { $set: { status: 'new', attempts: 0, next_attempt_at: at }, $unset: { dead_at: '' } },
    );
    return r.modifiedCount === 1;
  }

  async discard(id: string): Promise<boolean> {
    const deleted = (await this.db.outbox.deleteOne({ _id: id, status: 'dead' })).deletedCount === 1;
    if (deleted) await this.db.leases.forget([id]);
    return deleted;
  }

  async purge(sentBefore: Date, deadBefore: Date): Promise<Purged> {
    const sent = await this.db.sent.deleteMany({ sent_at: { $lt: sentBefore } });
    const dead = await this.db.outbox.deleteMany({ status: 'dead', dead_at: { $lt: deadBefore } });
    // Leases long expired belong to events delivered or deleted (no claimer waits that long).
    await this.db.leases.purge(sentBefore);
    return { sent: sent.deletedCount, dead: dead.deletedCount };
  }
}
