import { isDuplicate, onlyDuplicates } from '../mongo/write-errors.js';
import type { Filter } from 'mongodb';
import type { MongoRunnerCollections } from '../mongo/runner-collections.js';
import { FRESH_NOTIFICATION, ASKS_FOR_WEBHOOK, pendingNotification, segmentTotalId, type StoredRecord } from '../mongo/runner-documents.js';
import type { FrameCollection } from '../../ports/frame-collection.js';
import { allFramesIn, type RunnerRecord, type SubmittedJob } from '../../core/job.js';
import type { FrameResult } from '../../core/types.js';
import { webhookUrlOf } from '../../core/notification.js';

/** Results of one job waiting for one write (see `addFrameResult`). */
type ResultBatch = Array<{ result: FrameResult; resolve: (r: RunnerRecord | undefined) => void; reject: (err: unknown) => void }>;

/**
 * Frame collection in MongoDB: `frame_results`, `runner_totals` and the records' counts. A job
 * record's writes go through the shared `recordUpdates` queue (see `MongoRunnerCollections`).
 */
export class MongoFrameCollection implements FrameCollection {
  private readonly resultBatches = new Map<string, ResultBatch>();

  constructor(private readonly db: MongoRunnerCollections) {}

  setTotalFrames(jobId: string, total: number, segment = 0): Promise<RunnerRecord | undefined> {
    return this.db.recordUpdates.run(jobId, () => this.setTotalFramesNow(jobId, total, segment));
  }

  private async setTotalFramesNow(jobId: string, total: number, segment: number): Promise<RunnerRecord | undefined> {
    const record = await this.db.record(jobId);
    if (!record || record.status !== 'processing') return record;
    // Only extractors write here (a segment's only), and a re-driven extraction counts the same total.
    const id = (record.segments ?? 1) <= 1 ? jobId : segmentTotalId(jobId, segment);
    const write = () => this.db.totals.updateOne({ _id: id }, { $set: { total, at: new Date() } }, { upsert: true });
    try {
      await write();
    } catch (err) {
      if (!isDuplicate(err)) throw err;
      await write(); // a concurrent extractor inserted it first
    }
    return this.db.record(jobId);
  }

  /**
   * Group commit: a job's results that arrive while one of its writes is in hand are written
   * together, one insert, one count update and one read for all of them (each a query the
   * MongoDB-protocol server pays for: three a frame otherwise). Each caller's promise settles with
   * the write of its own result, so a message is still acknowledged only once its result is stored.
   */
  addFrameResult(jobId: string, result: FrameResult): Promise<RunnerRecord | undefined> {
    return new Promise((resolve, reject) => {
      const waiting = this.resultBatches.get(jobId);
      if (waiting) {
        waiting.push({ result, resolve, reject });
        return;
      }
      const batch: ResultBatch = [{ result, resolve, reject }];
      this.resultBatches.set(jobId, batch);
      void this.db.recordUpdates.run(jobId, async () => {
        // From here on, new results start the next batch (queued behind this write).
        this.resultBatches.delete(jobId);
        try {
          const record = await this.addFrameResultsNow(
            jobId,
            batch.map((b) => b.result),
          );
          for (const b of batch) b.resolve(record);
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      });
    });
  }

  private async addFrameResultsNow(jobId: string, results: FrameResult[]): Promise<RunnerRecord | undefined> {
    // No read first: the count's update is conditional on `processing`, and a frame stored for a
    // job that ended meanwhile changes nothing (its result was published without it).
    const docs = results.map((result) => ({
      job_id: jobId,
      frame: result.frame,
      ...(result.timestamp_ms !== undefined ? { timestamp_ms: result.timestamp_ms } : {}),
      objects: result.objects,
      ...(result.model ? { model: result.model } : {}),
    }));
    let counted: StoredRecord | null;
    try {
      // Unordered: a duplicate (a redelivered result) does not keep the others out.
      await this.db.frames.insertMany(docs, { ordered: false });
      // One command that counts and reads back (FerretDB looks the record up by `_id` for
      // findAndModify, where an update with a second condition scans every record).
      counted = await this.db.records.findOneAndUpdate(
        { _id: jobId, status: 'processing' },
        { $inc: { received_frames: docs.length }, $set: { updated_at: new Date() } },
        { returnDocument: 'after' },
      );
    } catch (err) {
      if (!onlyDuplicates(err)) throw err;
      // Some were stored already: count what is stored (a crash may also have fallen between a
      // result's insert and its count).
      const stored = await this.db.frames.countDocuments({ job_id: jobId });
      counted = await this.db.records.findOneAndUpdate(
        { _id: jobId, status: 'processing' },
        { $max: { received_frames: stored }, $set: { updated_at: new Date() } },
        { returnDocument: 'after' },
      );
    }
    if (counted) return (await this.db.withTotals([counted]))[0];
    // Not processing: ended meanwhile (the record as it is), or unknown — a job a cleanup removed
    // (a record exists before any of its frames is sent), whose frames are not kept.
    const record = await this.db.record(jobId);
    if (!record) await this.db.frames.deleteMany({ job_id: jobId, frame: { $in: docs.map((d) => d.frame) } });
    return record;
  }

  markPredictable(jobId: string): Promise<boolean> {
    return this.db.recordUpdates.run(jobId, () => this.markPredictableNow(jobId));
  }

  private async markPredictableNow(jobId: string): Promise<boolean> {
    // "All frames in" only ever stays true once true (received grows, total is set once), so a
    // read followed by an update conditional on `processing` is safe without $expr.
    const r = await this.db.record(jobId);
    if (!r || r.status !== 'processing' || !allFramesIn(r)) return false;
    const u = await this.db.records.updateOne(
      { _id: jobId, status: 'processing' },
      { $set: { status: 'predictable', total_frames: r.total_frames, updated_at: new Date() } },
    );
    if (u.modifiedCount === 1) await this.db.publishable.raise();
    return u.modifiedCount === 1;
  }

  async *frameResults(jobId: string): AsyncIterable<FrameResult> {
    const cursor = this.db.frames
      .find({ job_id: jobId }, { projection: { _id: 0, frame: 1, timestamp_ms: 1, objects: 1, model: 1 } })
      .sort({ frame: 1 })
      .batchSize(500);
    for await (const d of cursor) {
      yield {
        frame: d.frame,
        ...(typeof d.timestamp_ms === 'number' ? { timestamp_ms: d.timestamp_ms } : {}),
        objects: d.objects,
        ...(d.model ? { model: { name: d.model.name, sha256: d.model.sha256 } } : {}),
      };
    }
  }

  async claimStalled(stalledBefore: Date, now: Date, limit: number): Promise<RunnerRecord[]> {
    const stalled = await this.db.withTotals(
      await this.db.records
        .find({ status: 'processing', updated_at: { $lt: stalledBefore } })
        .sort({ updated_at: 1, _id: 1 })
        .limit(limit)
        .toArray(),
    );
    // The lease key names this stall (the job and the `updated_at` it stalled at): of several
    // sweepers exactly one wins it, and the next stall of the job is a new key.
    const keys = stalled.map((d) => `stall:${d._id}:${d.updated_at.getTime()}`);
    const won = await this.db.leases.take(keys, `sweeper:${now.getTime()}:${Math.random()}`, now, new Date(now.getTime() + 86_400_000));
    const claimed: RunnerRecord[] = [];
    for (const [i, d] of stalled.entries()) {
      if (!won.has(keys[i]!)) continue;
      // No result has arrived for the stall timeout, so no collector is counting: the stored frames
      // are the truth, and a count a lost update left behind catches up here.
      const stored = await this.db.frames.countDocuments({ job_id: d._id });
      await this.db.records.updateOne(
        { _id: d._id, status: 'processing' },
        { $set: { updated_at: now }, $inc: { drives: 1 }, $max: { received_frames: stored } },
      );
      claimed.push({ ...d, updated_at: now, drives: (d.drives ?? 0) + 1, received_frames: Math.max(d.received_frames, stored) });
    }
    return claimed;
  }

  markFailed(jobId: string, reason: string, at: Date, job?: SubmittedJob): Promise<boolean> {
    return this.db.recordUpdates.run(jobId, () => this.markFailedNow(jobId, reason, at, job));
  }

  private async markFailedNow(jobId: string, reason: string, at: Date, job?: SubmittedJob): Promise<boolean> {
    const active: Filter<StoredRecord> = { _id: jobId, status: { $in: ['processing', 'predictable'] } };
    const failed = { status: 'failed' as const, error: reason, failed_at: at, updated_at: at };
    if (
      (await this.db.records.updateOne({ ...active, ...ASKS_FOR_WEBHOOK }, { $set: { ...failed, ...pendingNotification(at) }, $unset: FRESH_NOTIFICATION }))
        .modifiedCount === 1
    ) {
      await this.db.notifiable.raise(at);
      return true;
    }
    // Without the job (or for one a cleanup removed) only an existing record moves.
    if (!job || (await this.db.cleared(job.created_at))) return (await this.db.records.updateOne(active, { $set: failed })).modifiedCount === 1;
    try {
      const u = await this.db.records.updateOne(
        active,
        {
          $set: failed,
          $setOnInsert: {
            created_at: job.created_at,
            total_frames: null,
            received_frames: 0,
            expected_frames: null,
            parameters: { sample_every: 0 },
            input: job.input,
            ...(webhookUrlOf(job.input) ? pendingNotification(at) : {}),
          },
        },
        { upsert: true },
      );
      if (u.upsertedCount === 1) {
        if (await this.db.undoIfCleared(jobId, job.created_at)) return false;
        if (webhookUrlOf(job.input)) await this.db.notifiable.raise(at);
      }
      return u.modifiedCount === 1 || u.upsertedCount === 1;
    } catch (err) {
      if (isDuplicate(err)) return false; // the record exists in a final status
      throw err;
    }
  }
}
