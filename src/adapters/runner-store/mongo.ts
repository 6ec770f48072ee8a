import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { RunnerStore } from '../../ports/runner-store.js';
import { allFramesIn, type Claim, type RunnerRecord, type RunnerStart, type RunnerStatus } from '../../core/job.js';
import type { FrameResult } from '../../core/types.js';
import { MongoLeases } from '../mongo/lease-claims.js';
import { PerKeyQueue } from '../mongo/per-key-queue.js';

interface FrameDoc {
  job_id: string;
  frame: number;
  objects: FrameResult['objects'];
  model?: FrameResult['model'];
}

const isDuplicate = (err: unknown) => err instanceof MongoServerError && err.code === 11000;

/**
 * Nullable fields read back as null: FerretDB v1 drops null values written by `$setOnInsert`
 * (MongoDB keeps them), so an absent field means null here.
 */
function normalize(d: RunnerRecord | null): RunnerRecord | undefined {
  if (!d) return undefined;
  const { lease_until: _l, lease_owner: _o, ...record } = d as RunnerRecord & { lease_until?: Date; lease_owner?: string };
  return { ...record, total_frames: d.total_frames ?? null, expected_frames: d.expected_frames ?? null, received_frames: d.received_frames ?? 0 };
}

/**
 * `runner_db.runner_predictions` plus `runner_db.frame_results` (one document per (job, frame),
 * unique index), so a two-hour video never meets the 16 MB document limit.
 *
 * Written for what MongoDB and FerretDB both support: no multi-document transactions, no `$expr`.
 * Counting a new frame is two writes (insert, then `$inc`); a crash between them is healed on the
 * redelivery, which finds the duplicate and recounts the job's frames.
 *
 * A job record's updates from this process run one at a time (`PerKeyQueue`): on FerretDB two
 * concurrent updates of one document can lose one — a frame's `$inc` could undo the extractor's
 * `total_frames`, and the job would wait for the stall sweep. Measured: with batched inference the
 * last results of a job arrive together with the end of its extraction, and one job in a bench run
 * stalled for the 10 min stall timeout before this queue.
 */
export class MongoRunnerStore implements RunnerStore {
  private readonly runs: Collection<RunnerRecord & { lease_until?: Date; lease_owner?: string }>;
  private readonly frames: Collection<FrameDoc>;
  private readonly leases: MongoLeases;
  private readonly recordUpdates = new PerKeyQueue();

  constructor(db: Db) {
    this.leases = new MongoLeases(db, 'runner_leases');
    this.runs = db.collection<RunnerRecord>('runner_predictions');
    this.frames = db.collection<FrameDoc>('frame_results');
  }

  async ensureIndexes(): Promise<void> {
    await this.runs.createIndex({ status: 1, created_at: 1 });
    await this.runs.createIndex({ status: 1, updated_at: 1 });
    await this.leases.ensureIndexes();
    await this.frames.createIndex({ job_id: 1, frame: 1 }, { unique: true });
  }

  async start(s: RunnerStart): Promise<RunnerRecord> {
    const now = new Date();
    try {
      await this.runs.updateOne(
        { _id: s._id },
        { $setOnInsert: { ...s, status: 'processing', total_frames: null, received_frames: 0, updated_at: now } },
        { upsert: true },
      );
    } catch (err) {
      if (!isDuplicate(err)) throw err; // a concurrent start won the insert
    }
    return (await this.get(s._id))!;
  }

  async get(jobId: string): Promise<RunnerRecord | undefined> {
    return normalize(await this.runs.findOne({ _id: jobId }));
  }

  async list(): Promise<RunnerRecord[]> {
    return (await this.runs.find({}).sort({ created_at: 1, _id: 1 }).toArray()).map((d) => normalize(d)!);
  }

  setTotalFrames(jobId: string, total: number): Promise<RunnerRecord | undefined> {
    return this.recordUpdates.run(jobId, () => this.setTotalFramesNow(jobId, total));
  }

  private async setTotalFramesNow(jobId: string, total: number): Promise<RunnerRecord | undefined> {
    // Recount while at it: on a server without atomic updates two racing `$inc`s may lose one
    // (FerretDB); the stored frames are the truth, and the count only ever catches up to them.
    const stored = await this.frames.countDocuments({ job_id: jobId });
    await this.runs.updateOne({ _id: jobId, status: 'processing' }, { $set: { total_frames: total, updated_at: new Date() }, $max: { received_frames: stored } });
    return this.get(jobId);
  }

  addFrameResult(jobId: string, result: FrameResult): Promise<RunnerRecord | undefined> {
    return this.recordUpdates.run(jobId, () => this.addFrameResultNow(jobId, result));
  }

  private async addFrameResultNow(jobId: string, result: FrameResult): Promise<RunnerRecord | undefined> {
    const record = await this.get(jobId);
    if (!record || record.status !== 'processing') return record;
    try {
      await this.frames.insertOne({ job_id: jobId, frame: result.frame, objects: result.objects, ...(result.model ? { model: result.model } : {}) });
      await this.runs.updateOne({ _id: jobId, status: 'processing' }, { $inc: { received_frames: 1 }, $set: { updated_at: new Date() } });
    } catch (err) {
      if (!isDuplicate(err)) throw err;
      // Already stored: make sure it was counted (a crash may have fallen between the two writes).
      const stored = await this.frames.countDocuments({ job_id: jobId });
      await this.runs.updateOne({ _id: jobId, status: 'processing' }, { $max: { received_frames: stored } });
    }
    return this.get(jobId);
  }

  markPredictable(jobId: string): Promise<boolean> {
    return this.recordUpdates.run(jobId, () => this.markPredictableNow(jobId));
  }

  private async markPredictableNow(jobId: string): Promise<boolean> {
    // "All frames in" only ever stays true once true (received grows, total is set once), so a
    // read followed by an update conditional on `processing` is safe without $expr.
    const r = await this.get(jobId);
    if (!r || r.status !== 'processing' || !allFramesIn(r)) return false;
    const u = await this.runs.updateOne({ _id: jobId, status: 'processing' }, { $set: { status: 'predictable', updated_at: new Date() } });
    return u.modifiedCount === 1;
  }

  /** Claims through `MongoLeases` (a unique insert decides: racing publishers never share a job). */
  async claimPredictable(c: Claim): Promise<RunnerRecord[]> {
    // A record that never had a lease (or a failed publish) lacks the field (absent compares below
    // any date in neither MongoDB nor FerretDB), so the filter accepts absent as free / due. The
    // lease fields on the record are a hint for skipping; the lease itself is in runner_leases.
    const candidates = await this.runs
      .find(
        {
          status: 'predictable',
          $and: [
            { $or: [{ lease_until: { $exists: false } }, { lease_until: { $lte: c.now } }, { lease_owner: c.owner }] },
            { $or: [{ publish_next_at: { $exists: false } }, { publish_next_at: { $lte: c.now } }] },
          ],
        },
        { projection: { _id: 1 } },
      )
      .sort({ created_at: 1, _id: 1 })
      .limit(c.limit)
      .toArray();
    if (candidates.length === 0) return [];
    const until = new Date(c.now.getTime() + c.leaseMs);
    const won = [...(await this.leases.take(candidates.map((d) => `publish:${d._id}`), c.owner, c.now, until))].map((k) => k.slice('publish:'.length));
    if (won.length === 0) return [];
    await this.runs.updateMany({ _id: { $in: won } }, { $set: { lease_until: until, lease_owner: c.owner } });
    return (await this.runs.find({ _id: { $in: won }, status: 'predictable' }).sort({ created_at: 1, _id: 1 }).toArray()).map((d) => normalize(d)!);
  }

  async recordPublishFailure(jobId: string, error: string, nextAttemptAt: Date): Promise<boolean> {
    await this.releaseLease(jobId);
    const u = await this.runs.updateOne(
      { _id: jobId, status: 'predictable' },
      { $inc: { publish_attempts: 1 }, $set: { publish_error: error, publish_next_at: nextAttemptAt, lease_until: new Date(0) }, $unset: { lease_owner: '' } },
    );
    return u.modifiedCount === 1;
  }

  /** Called by the lease holder after a failed publish: frees the job's lease (as the outbox does). */
  private async releaseLease(jobId: string): Promise<void> {
    await this.leases.release([`publish:${jobId}`]);
  }

  async markPublishDead(jobId: string, reason: string, at: Date): Promise<boolean> {
    await this.releaseLease(jobId);
    const u = await this.runs.updateOne(
      { _id: jobId, status: 'predictable' },
      {
        $inc: { publish_attempts: 1 },
        $set: { status: 'failed', error: reason, publish_error: reason, failed_at: at, dead_at: at, updated_at: at, lease_until: new Date(0) },
        $unset: { lease_owner: '' },
      },
    );
    return u.modifiedCount === 1;
  }

  async listDead(limit: number): Promise<RunnerRecord[]> {
    return (await this.runs.find({ dead_at: { $exists: true } }).sort({ dead_at: 1, _id: 1 }).limit(limit).toArray()).map((d) => normalize(d)!);
  }

  async replayDead(jobId: string, at: Date): Promise<boolean> {
    const u = await this.runs.updateOne(
      { _id: jobId, status: 'failed', dead_at: { $exists: true } },
      { $set: { status: 'predictable', publish_attempts: 0, publish_next_at: at, updated_at: at }, $unset: { dead_at: '', error: '', failed_at: '' } },
    );
    return u.modifiedCount === 1;
  }

  async discardDead(jobId: string): Promise<boolean> {
    return (await this.runs.updateOne({ _id: jobId, dead_at: { $exists: true } }, { $unset: { dead_at: '' } })).modifiedCount === 1;
  }

  async purgeDead(deadBefore: Date): Promise<number> {
    await this.leases.purge(deadBefore);
    return (await this.runs.updateMany({ dead_at: { $lt: deadBefore } }, { $unset: { dead_at: '' } })).modifiedCount;
  }

  async claimStalled(stalledBefore: Date, now: Date, limit: number): Promise<RunnerRecord[]> {
    const stalled = await this.runs.find({ status: 'processing', updated_at: { $lt: stalledBefore } }).sort({ updated_at: 1, _id: 1 }).limit(limit).toArray();
    // The lease key names this stall (the job and the `updated_at` it stalled at): of several
    // sweepers exactly one wins it, and the next stall of the job is a new key.
    const keys = stalled.map((d) => `stall:${d._id}:${d.updated_at.getTime()}`);
    const won = await this.leases.take(keys, `sweeper:${now.getTime()}:${Math.random()}`, now, new Date(now.getTime() + 86_400_000));
    const claimed: RunnerRecord[] = [];
    for (const [i, d] of stalled.entries()) {
      if (!won.has(keys[i]!)) continue;
      await this.runs.updateOne({ _id: d._id, status: 'processing' }, { $set: { updated_at: now }, $inc: { drives: 1 } });
      claimed.push({ ...normalize(d)!, updated_at: now, drives: (d.drives ?? 0) + 1 });
    }
    return claimed;
  }

  async markReady(jobId: string, at: Date, output: { bucket: string; object: string }): Promise<boolean> {
    const u = await this.runs.updateOne({ _id: jobId, status: 'predictable' }, { $set: { status: 'ready', ready_at: at, output_s3: output, updated_at: at } });
    if (u.modifiedCount === 1) await this.leases.forget([`publish:${jobId}`]);
    return u.modifiedCount === 1;
  }

  markFailed(jobId: string, reason: string, at: Date): Promise<boolean> {
    return this.recordUpdates.run(jobId, () => this.markFailedNow(jobId, reason, at));
  }

  private async markFailedNow(jobId: string, reason: string, at: Date): Promise<boolean> {
    try {
      const u = await this.runs.updateOne(
        { _id: jobId, status: { $in: ['processing', 'predictable'] } },
        {
          $set: { status: 'failed', error: reason, failed_at: at, updated_at: at },
          $setOnInsert: { created_at: at, total_frames: null, received_frames: 0, expected_frames: null, parameters: { sample_every: 0 } },
        },
        { upsert: true },
      );
      return u.modifiedCount === 1 || u.upsertedCount === 1;
    } catch (err) {
      if (isDuplicate(err)) return false; // the record exists in a final status
      throw err;
    }
  }

  async *frameResults(jobId: string): AsyncIterable<FrameResult> {
    const cursor = this.frames.find({ job_id: jobId }, { projection: { _id: 0, frame: 1, objects: 1, model: 1 } }).sort({ frame: 1 }).batchSize(500);
    for await (const d of cursor) yield { frame: d.frame, objects: d.objects, ...(d.model ? { model: { name: d.model.name, sha256: d.model.sha256 } } : {}) };
  }

  async countByStatus(): Promise<Partial<Record<RunnerStatus, number>>> {
    const rows = await this.runs.aggregate<{ _id: RunnerStatus; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
    return Object.fromEntries(rows.map((r) => [r._id, r.n]));
  }

  async deleteAll(): Promise<void> {
    await this.frames.deleteMany({});
    await this.runs.deleteMany({});
    await this.leases.deleteAll();
  }
}
