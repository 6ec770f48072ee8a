import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { RunnerStore } from '../../ports/runner-store.js';
import { allFramesIn, type Claim, type RunnerRecord, type RunnerStart } from '../../core/job.js';
import type { FrameResult } from '../../core/types.js';

interface FrameDoc {
  job_id: string;
  frame: number;
  objects: FrameResult['objects'];
}

const isDuplicate = (err: unknown) => err instanceof MongoServerError && err.code === 11000;

/**
 * Nullable fields read back as null: FerretDB v1 drops null values written by `$setOnInsert`
 * (MongoDB keeps them), so an absent field means null here.
 */
function normalize(d: RunnerRecord | null): RunnerRecord | undefined {
  if (!d) return undefined;
  return { ...d, total_frames: d.total_frames ?? null, expected_frames: d.expected_frames ?? null, received_frames: d.received_frames ?? 0 };
}

/**
 * `runner_db.runner_predictions` plus `runner_db.frame_results` (one document per (job, frame),
 * unique index), so a two-hour video never meets the 16 MB document limit.
 *
 * Written for what MongoDB and FerretDB both support: no multi-document transactions, no `$expr`.
 * Counting a new frame is two writes (insert, then `$inc`); a crash between them is healed on the
 * redelivery, which finds the duplicate and recounts the job's frames.
 */
export class MongoRunnerStore implements RunnerStore {
  private readonly runs: Collection<RunnerRecord & { lease_until?: Date; lease_owner?: string }>;
  private readonly frames: Collection<FrameDoc>;

  constructor(db: Db) {
    this.runs = db.collection<RunnerRecord>('runner_predictions');
    this.frames = db.collection<FrameDoc>('frame_results');
  }

  async ensureIndexes(): Promise<void> {
    await this.runs.createIndex({ status: 1, created_at: 1 });
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

  async setTotalFrames(jobId: string, total: number): Promise<RunnerRecord | undefined> {
    await this.runs.updateOne({ _id: jobId, status: 'processing' }, { $set: { total_frames: total, updated_at: new Date() } });
    return this.get(jobId);
  }

  async addFrameResult(jobId: string, result: FrameResult): Promise<RunnerRecord | undefined> {
    const record = await this.get(jobId);
    if (!record || record.status !== 'processing') return record;
    try {
      await this.frames.insertOne({ job_id: jobId, frame: result.frame, objects: result.objects });
      await this.runs.updateOne({ _id: jobId, status: 'processing' }, { $inc: { received_frames: 1 }, $set: { updated_at: new Date() } });
    } catch (err) {
      if (!isDuplicate(err)) throw err;
      // Already stored: make sure it was counted (a crash may have fallen between the two writes).
      const stored = await this.frames.countDocuments({ job_id: jobId });
      await this.runs.updateOne({ _id: jobId, status: 'processing' }, { $max: { received_frames: stored } });
    }
    return this.get(jobId);
  }

  async markPredictable(jobId: string): Promise<boolean> {
    // "All frames in" only ever stays true once true (received grows, total is set once), so a
    // read followed by an update conditional on `processing` is safe without $expr.
    const r = await this.get(jobId);
    if (!r || r.status !== 'processing' || !allFramesIn(r)) return false;
    const u = await this.runs.updateOne({ _id: jobId, status: 'processing' }, { $set: { status: 'predictable', updated_at: new Date() } });
    return u.modifiedCount === 1;
  }

  async claimPredictable(c: Claim): Promise<RunnerRecord[]> {
    const claimed: RunnerRecord[] = [];
    // A record that never had a lease has none (absent compares below any date in neither
    // MongoDB nor FerretDB), so the filter accepts both an absent and an expired lease.
    while (claimed.length < c.limit) {
      const d = await this.runs.findOneAndUpdate(
        { status: 'predictable', $or: [{ lease_until: { $exists: false } }, { lease_until: { $lte: c.now } }, { lease_owner: c.owner }], _id: { $nin: claimed.map((x) => x._id) } },
        { $set: { lease_until: new Date(c.now.getTime() + c.leaseMs), lease_owner: c.owner } },
        { sort: { created_at: 1, _id: 1 }, returnDocument: 'after' },
      );
      if (!d) break;
      claimed.push(normalize(d)!);
    }
    return claimed;
  }

  async markReady(jobId: string, at: Date, output: { bucket: string; object: string }): Promise<boolean> {
    const u = await this.runs.updateOne({ _id: jobId, status: 'predictable' }, { $set: { status: 'ready', ready_at: at, output_s3: output, updated_at: at } });
    return u.modifiedCount === 1;
  }

  async markFailed(jobId: string, reason: string, at: Date): Promise<boolean> {
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
    const cursor = this.frames.find({ job_id: jobId }, { projection: { _id: 0, frame: 1, objects: 1 } }).sort({ frame: 1 }).batchSize(500);
    for await (const d of cursor) yield { frame: d.frame, objects: d.objects };
  }

  async deleteAll(): Promise<void> {
    await this.frames.deleteMany({});
    await this.runs.deleteMany({});
  }
}
