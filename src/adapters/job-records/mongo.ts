import type { MongoRunnerCollections } from '../mongo/runner-collections.js';
import { isDuplicate } from '../mongo/runner-documents.js';
import type { JobRecords } from '../../ports/job-records.js';
import type { RunnerRecord, RunnerStart, RunnerStatus } from '../../core/job.js';

/** The runner's job records in MongoDB (`runner_predictions`; see `MongoRunnerCollections`). */
export class MongoJobRecords implements JobRecords {
  constructor(private readonly db: MongoRunnerCollections) {}

  async start(s: RunnerStart): Promise<RunnerRecord> {
    const now = new Date();
    try {
      await this.db.records.updateOne(
        { _id: s._id },
        { $setOnInsert: { ...s, status: 'processing', total_frames: null, received_frames: 0, updated_at: now } },
        { upsert: true },
      );
    } catch (err) {
      if (!isDuplicate(err)) throw err; // a concurrent start won the insert
    }
    return (await this.db.record(s._id))!;
  }

  get(jobId: string): Promise<RunnerRecord | undefined> {
    return this.db.record(jobId);
  }

  async list(): Promise<RunnerRecord[]> {
    return this.db.withTotals(await this.db.records.find({}).sort({ created_at: 1, _id: 1 }).toArray());
  }

  async countByStatus(): Promise<Partial<Record<RunnerStatus, number>>> {
    const rows = await this.db.records.aggregate<{ _id: RunnerStatus; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
    return Object.fromEntries(rows.map((r) => [r._id, r.n]));
  }

  async countActive(owner: string, dispatched: readonly string[]): Promise<number> {
    const ids = [...new Set(dispatched)];
    const UNFINISHED = ['processing', 'predictable'] as const;
    const [ended, orphans] = await Promise.all([
      ids.length > 0 ? this.db.records.countDocuments({ _id: { $in: ids }, status: { $nin: [...UNFINISHED] } }) : 0,
      this.db.records.countDocuments({ 'input.owner': owner, status: { $in: [...UNFINISHED] }, _id: { $nin: ids } }),
    ]);
    return ids.length - ended + orphans;
  }

  async deleteAll(): Promise<void> {
    await this.db.frames.deleteMany({});
    await this.db.totals.deleteMany({});
    await this.db.records.deleteMany({});
    await this.db.leases.deleteAll();
    await this.db.publishable.forget();
    await this.db.notifiable.forget();
  }
}
