import type { MongoRunnerCollections } from '../mongo/runner-collections.js';
import { normalize } from '../mongo/runner-documents.js';
import type { ResultsDeadLetters } from '../../ports/results-dead-letters.js';
import type { RunnerRecord } from '../../core/job.js';

/** Dead results in MongoDB: records with `dead_at`. */
export class MongoResultsDeadLetters implements ResultsDeadLetters {
  constructor(private readonly db: MongoRunnerCollections) {}

  async listDead(limit: number): Promise<RunnerRecord[]> {
    return (
      await this.db.records
        .find({ dead_at: { $exists: true } })
        .sort({ dead_at: 1, _id: 1 })
        .limit(limit)
        .toArray()
    ).map((d) => normalize(d)!);
  }

  async replayDead(jobId: string, at: Date): Promise<boolean> {
    const u = await this.db.records.updateOne(
      { _id: jobId, status: 'failed', dead_at: { $exists: true } },
      { $set: { status: 'predictable', publish_attempts: 0, publish_next_at: at, updated_at: at }, $unset: { dead_at: '', error: '', failed_at: '' } },
    );
    if (u.modifiedCount === 1) await this.db.publishable.raise(at);
    return u.modifiedCount === 1;
  }

  async discardDead(jobId: string): Promise<boolean> {
    return (await this.db.records.updateOne({ _id: jobId, dead_at: { $exists: true } }, { $unset: { dead_at: '' } })).modifiedCount === 1;
  }

  async purgeDead(deadBefore: Date): Promise<number> {
    await this.db.leases.purge(deadBefore);
    return (await this.db.records.updateMany({ dead_at: { $lt: deadBefore } }, { $unset: { dead_at: '' } })).modifiedCount;
  }
}
