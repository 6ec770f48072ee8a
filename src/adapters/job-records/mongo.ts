import { isDuplicate } from '../mongo/write-errors.js';
import type { MongoRunnerCollections } from '../mongo/runner-collections.js';
import { CLEANUP_ID, notifyKey, publishKey, totalIds } from '../mongo/runner-documents.js';
import type { JobRecords } from '../../ports/job-records.js';
import type { RunnerRecord, RunnerStart, RunnerStatus } from '../../core/job.js';

/** The runner's job records in MongoDB (`runner_predictions`; see `MongoRunnerCollections`). */
export class MongoJobRecords implements JobRecords {
  constructor(private readonly db: MongoRunnerCollections) {}

  async start(s: RunnerStart): Promise<RunnerRecord | undefined> {
    if (await this.db.cleared(s.created_at)) return undefined;
    const now = new Date();
    let created = false;
    try {
      const u = await this.db.records.updateOne(
        { _id: s._id },
        { $setOnInsert: { ...s, status: 'processing', total_frames: null, received_frames: 0, updated_at: now } },
        { upsert: true },
      );
      created = u.upsertedCount === 1;
    } catch (err) {
      if (!isDuplicate(err)) throw err; // a concurrent start won the insert
    }
    if (created && (await this.db.undoIfCleared(s._id, s.created_at))) return undefined;
    return this.db.record(s._id);
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

  async cleanupCutoff(): Promise<Date | undefined> {
    return (await this.db.cleanup.findOne({ _id: CLEANUP_ID }))?.cutoff;
  }

  async clearBefore(cutoff: Date): Promise<string[]> {
    // The cutoff first: from here on no write creates a record for a job created before it.
    await this.db.cleanup.updateOne({ _id: CLEANUP_ID }, { $max: { cutoff } }, { upsert: true });
    const effective = (await this.db.cleanup.findOne({ _id: CLEANUP_ID }))!.cutoff;
    const removed: string[] = [];
    // In pages, what hangs off a record before the record itself: an interrupted cleanup leaves
    // nothing without its record, and the next one finishes it.
    for (;;) {
      const page = await this.db.records
        .find({ created_at: { $lt: effective } }, { projection: { _id: 1, segments: 1 } })
        .limit(500)
        .toArray();
      if (page.length === 0) return removed;
      const ids = page.map((d) => d._id);
      await this.db.frames.deleteMany({ job_id: { $in: ids } });
      await this.db.totals.deleteMany({ _id: { $in: page.flatMap((d) => totalIds(d._id, d.segments)) } });
      await this.db.leases.forget(ids.flatMap((id) => [notifyKey(id), publishKey(id)]));
      await this.db.records.deleteMany({ _id: { $in: ids } });
      removed.push(...ids);
    }
  }
}
