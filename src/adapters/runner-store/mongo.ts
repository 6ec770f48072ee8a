import { MongoBulkWriteError, MongoServerError, type Collection, type Db, type Filter, type MatchKeysAndValues } from 'mongodb';
import type { RunnerStore } from '../../ports/runner-store.js';
import { allFramesIn, type Claim, type RunnerRecord, type RunnerStart, type RunnerStatus, type VideoRef } from '../../core/job.js';
import type { FrameResult } from '../../core/types.js';
import { webhookUrlOf, type Notification, type NotificationRef, type NotificationStatus, type NotifiedStatus } from '../../core/notification.js';
import { MongoLeases } from '../mongo/lease-claims.js';
import { PerKeyQueue } from '../mongo/per-key-queue.js';
import { ClaimSignal } from '../mongo/claim-signal.js';

/** `runner_totals`: the sampled frame count of a job, known once its extraction ended. */
interface TotalDoc {
  _id: string;
  total: number;
  at: Date;
}

interface FrameDoc {
  job_id: string;
  frame: number;
  timestamp_ms?: number;
  objects: FrameResult['objects'];
  model?: FrameResult['model'];
}

/** The `runner_totals` document of segment `k` of a job extracted in segments. */
const segmentTotalId = (jobId: string, k: number): string => `${jobId}#${k}`;

/** The `runner_totals` documents of a job in `segments` segments: its id, or one per segment. */
const totalIds = (jobId: string, segments = 1): string[] => (segments <= 1 ? [jobId] : Array.from({ length: segments }, (_, k) => segmentTotalId(jobId, k)));

const isDuplicate = (err: unknown) => err instanceof MongoServerError && err.code === 11000;

/** An unordered insert's failure where every failed document was a duplicate key. */
const onlyDuplicates = (err: unknown): boolean => {
  // A bulk error is a server error too, its code the first failure's: look at every failure.
  if (!(err instanceof MongoBulkWriteError)) return isDuplicate(err);
  const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
  return errors.length > 0 && errors.every((e) => e.code === 11000);
};

/** Results of one job waiting for one write (see `addFrameResult`). */
type ResultBatch = Array<{ result: FrameResult; resolve: (r: RunnerRecord | undefined) => void; reject: (err: unknown) => void }>;

/**
 * Nullable fields read back as null: FerretDB v1 drops null values written by `$setOnInsert`
 * (MongoDB keeps them), so an absent field means null here.
 */
function normalize(d: RunnerRecord | null): RunnerRecord | undefined {
  if (!d) return undefined;
  const { lease_until: _l, lease_owner: _o, ...record } = withoutNotification(d as StoredRecord) as RunnerRecord & { lease_until?: Date; lease_owner?: string };
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
 * On FerretDB two concurrent updates of one document can lose one (it reads the document, applies
 * the update and writes the whole document back). Two defences:
 * - a job record's updates from this process run one at a time (`PerKeyQueue`);
 * - across processes, the extractor (the runner that read the job's `outbox_events` partition) and
 *   the collector (the runner that reads its `inference_results` partition) never write the same
 *   document while frames arrive: the frame total goes to `runner_totals` (one document per job,
 *   written by the extractor only), the count to the record (written by the collector). Each reads
 *   both after its own write, so whichever writes last sees every frame in and marks the job.
 *   Measured before this split: in a cluster e2e run with 2 runners a frame's `$inc` lost against
 *   the extractor's write left a job at 5 of 6 frames until the 10 min stall sweep.
 * The total is copied onto the record when the job becomes `predictable`, so records past that
 * point are whole on their own.
 */
export class MongoRunnerStore implements RunnerStore {
  private readonly runs: Collection<StoredRecord>;
  private readonly frames: Collection<FrameDoc>;
  private readonly totals: Collection<TotalDoc>;
  private readonly leases: MongoLeases;
  private readonly recordUpdates = new PerKeyQueue();
  private readonly resultBatches = new Map<string, ResultBatch>();
  /** Raised by every write that makes a record's publish (or notification) claimable; see `ClaimSignal`. */
  private readonly publishable: ClaimSignal;
  private readonly notifiable: ClaimSignal;

  constructor(db: Db) {
    this.leases = new MongoLeases(db, 'runner_leases');
    this.publishable = new ClaimSignal(db, 'runner_signals', 'publish');
    this.notifiable = new ClaimSignal(db, 'runner_signals', 'notify');
    this.runs = db.collection<RunnerRecord>('runner_predictions');
    this.frames = db.collection<FrameDoc>('frame_results');
    this.totals = db.collection<TotalDoc>('runner_totals');
  }

  /**
   * Records as stored, with the frame totals of those still `processing` merged in: a job in one
   * segment has one `runner_totals` document (its id); a job in N segments one per segment
   * (`{id}#{k}`), each written by its segment's extractor only, and its total is their sum once all
   * N are there.
   */
  private async withTotals(docs: StoredRecord[]): Promise<RunnerRecord[]> {
    const open = docs.filter((d) => d.status === 'processing');
    const ids = open.flatMap((d) => totalIds(d._id, d.segments));
    const totals = ids.length === 0 ? [] : ids.length === 1 ? await this.totals.find({ _id: ids[0]! }).toArray() : await this.totals.find({ _id: { $in: ids } }).toArray();
    const byId = new Map(totals.map((t) => [t._id, t.total]));
    return docs.map((d) => {
      const r = normalize(d)!;
      if (d.status !== 'processing') return r;
      const segments = d.segments ?? 1;
      if (segments <= 1) {
        const total = byId.get(d._id);
        return total === undefined ? r : { ...r, total_frames: total };
      }
      let sum = 0;
      for (let k = 0; k < segments; k++) {
        const t = byId.get(segmentTotalId(d._id, k));
        if (t === undefined) return r;
        sum += t;
      }
      return { ...r, total_frames: sum };
    });
  }

  async ensureIndexes(): Promise<void> {
    await this.runs.createIndex({ status: 1, created_at: 1 });
    await this.runs.createIndex({ status: 1, updated_at: 1 });
    await this.runs.createIndex({ webhook_status: 1, webhook_next_at: 1 });
    // `countActive`: a key's unfinished jobs.
    await this.runs.createIndex({ 'input.owner': 1, status: 1 });
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
    const d = await this.runs.findOne({ _id: jobId });
    return d ? (await this.withTotals([d]))[0] : undefined;
  }

  async list(): Promise<RunnerRecord[]> {
    return this.withTotals(await this.runs.find({}).sort({ created_at: 1, _id: 1 }).toArray());
  }

  setTotalFrames(jobId: string, total: number, segment = 0): Promise<RunnerRecord | undefined> {
    return this.recordUpdates.run(jobId, () => this.setTotalFramesNow(jobId, total, segment));
  }

  private async setTotalFramesNow(jobId: string, total: number, segment: number): Promise<RunnerRecord | undefined> {
    const record = await this.get(jobId);
    if (!record || record.status !== 'processing') return record;
    // Only extractors write here (a segment's only), and a re-driven extraction counts the same total.
    const id = (record.segments ?? 1) <= 1 ? jobId : segmentTotalId(jobId, segment);
    const write = () => this.totals.updateOne({ _id: id }, { $set: { total, at: new Date() } }, { upsert: true });
    try {
      await write();
    } catch (err) {
      if (!isDuplicate(err)) throw err;
      await write(); // a concurrent extractor inserted it first
    }
    return this.get(jobId);
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
      void this.recordUpdates.run(jobId, async () => {
        // From here on, new results start the next batch (queued behind this write).
        this.resultBatches.delete(jobId);
        try {
          const record = await this.addFrameResultsNow(jobId, batch.map((b) => b.result));
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
      await this.frames.insertMany(docs, { ordered: false });
      // One command that counts and reads back (FerretDB looks the record up by `_id` for
      // findAndModify, where an update with a second condition scans every record).
      counted = await this.runs.findOneAndUpdate({ _id: jobId, status: 'processing' }, { $inc: { received_frames: docs.length }, $set: { updated_at: new Date() } }, { returnDocument: 'after' });
    } catch (err) {
      if (!onlyDuplicates(err)) throw err;
      // Some were stored already: count what is stored (a crash may also have fallen between a
      // result's insert and its count).
      const stored = await this.frames.countDocuments({ job_id: jobId });
      counted = await this.runs.findOneAndUpdate({ _id: jobId, status: 'processing' }, { $max: { received_frames: stored }, $set: { updated_at: new Date() } }, { returnDocument: 'after' });
    }
    // Not processing (ended meanwhile, or unknown): the record as it is.
    return counted ? (await this.withTotals([counted]))[0] : this.get(jobId);
  }

  markPredictable(jobId: string): Promise<boolean> {
    return this.recordUpdates.run(jobId, () => this.markPredictableNow(jobId));
  }

  private async markPredictableNow(jobId: string): Promise<boolean> {
    // "All frames in" only ever stays true once true (received grows, total is set once), so a
    // read followed by an update conditional on `processing` is safe without $expr.
    const r = await this.get(jobId);
    if (!r || r.status !== 'processing' || !allFramesIn(r)) return false;
    const u = await this.runs.updateOne({ _id: jobId, status: 'processing' }, { $set: { status: 'predictable', total_frames: r.total_frames, updated_at: new Date() } });
    if (u.modifiedCount === 1) await this.publishable.raise();
    return u.modifiedCount === 1;
  }

  /** Claims through `MongoLeases` (a unique insert decides: racing publishers never share a job). */
  async claimPredictable(c: Claim): Promise<RunnerRecord[]> {
    // A record that never had a lease (or a failed publish) lacks the field (absent compares below
    // any date in neither MongoDB nor FerretDB), so the filter accepts absent as free / due.
    const claimed = await this.claimByLeases(c, this.publishable, 'publish:', { until: 'lease_until', owner: 'lease_owner' }, { status: 'predictable' }, {
      $or: [{ publish_next_at: { $exists: false } }, { publish_next_at: { $lte: c.now } }],
    });
    return claimed.map((d) => normalize(d)!);
  }

  /**
   * The claim both outboxes kept in runner records use: up to `c.limit` records matching `state`
   * and `due` whose lease hint (`fields`) is free, expired or `c.owner`'s, oldest first; then the
   * leases `{prefix}{id}` in `MongoLeases` decide (one racing claimer wins each); the winner's hint
   * is written and the records it won, still in `state`, are read back. The hint only spares
   * claimers a doomed try: the lease itself is the document in the leases collection.
   */
  private async claimByLeases(
    c: Claim,
    signal: ClaimSignal,
    prefix: string,
    fields: { until: 'lease_until' | 'webhook_lease_until'; owner: 'lease_owner' | 'webhook_lease_owner' },
    state: Filter<StoredRecord>,
    due: Filter<StoredRecord>,
  ): Promise<StoredRecord[]> {
    const free: Filter<StoredRecord> = { $or: [{ [fields.until]: { $exists: false } }, { [fields.until]: { $lte: c.now } }, { [fields.owner]: c.owner }] };
    const candidates = await signal.scan(c.owner, c.now, () =>
      this.runs
        .find({ ...state, $and: [free, due] }, { projection: { _id: 1 } })
        .sort({ created_at: 1, _id: 1 })
        .limit(c.limit)
        .toArray(),
    );
    if (candidates.length === 0) return [];
    const until = new Date(c.now.getTime() + c.leaseMs);
    const won = [...(await this.leases.take(candidates.map((d) => `${prefix}${d._id}`), c.owner, c.now, until))].map((k) => k.slice(prefix.length));
    if (won.length === 0) return [];
    // Should the winner die holding them, the work is claimable again when the leases expire.
    await signal.raise(until);
    await this.runs.updateMany({ _id: { $in: won } }, { $set: { [fields.until]: until, [fields.owner]: c.owner } as MatchKeysAndValues<StoredRecord> });
    return this.runs.find({ _id: { $in: won }, ...state }).sort({ created_at: 1, _id: 1 }).toArray();
  }

  async recordPublishFailure(jobId: string, error: string, nextAttemptAt: Date): Promise<boolean> {
    await this.releaseLease(jobId);
    const u = await this.runs.updateOne(
      { _id: jobId, status: 'predictable' },
      { $inc: { publish_attempts: 1 }, $set: { publish_error: error, publish_next_at: nextAttemptAt, lease_until: new Date(0) }, $unset: { lease_owner: '' } },
    );
    if (u.modifiedCount === 1) await this.publishable.raise(nextAttemptAt);
    return u.modifiedCount === 1;
  }

  /** Called by the lease holder after a failed publish: frees the job's lease (as the outbox does). */
  private async releaseLease(jobId: string): Promise<void> {
    await this.leases.release([`publish:${jobId}`]);
  }

  async markPublishDead(jobId: string, reason: string, at: Date): Promise<boolean> {
    await this.releaseLease(jobId);
    return this.finalize(
      { _id: jobId, status: 'predictable' },
      {
        $inc: { publish_attempts: 1 },
        $set: { status: 'failed', error: reason, publish_error: reason, failed_at: at, dead_at: at, updated_at: at, lease_until: new Date(0) },
        $unset: { lease_owner: '' },
      },
      at,
    );
  }

  async listDead(limit: number): Promise<RunnerRecord[]> {
    return (await this.runs.find({ dead_at: { $exists: true } }).sort({ dead_at: 1, _id: 1 }).limit(limit).toArray()).map((d) => normalize(d)!);
  }

  async replayDead(jobId: string, at: Date): Promise<boolean> {
    const u = await this.runs.updateOne(
      { _id: jobId, status: 'failed', dead_at: { $exists: true } },
      { $set: { status: 'predictable', publish_attempts: 0, publish_next_at: at, updated_at: at }, $unset: { dead_at: '', error: '', failed_at: '' } },
    );
    if (u.modifiedCount === 1) await this.publishable.raise(at);
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
    const stalled = await this.withTotals(await this.runs.find({ status: 'processing', updated_at: { $lt: stalledBefore } }).sort({ updated_at: 1, _id: 1 }).limit(limit).toArray());
    // The lease key names this stall (the job and the `updated_at` it stalled at): of several
    // sweepers exactly one wins it, and the next stall of the job is a new key.
    const keys = stalled.map((d) => `stall:${d._id}:${d.updated_at.getTime()}`);
    const won = await this.leases.take(keys, `sweeper:${now.getTime()}:${Math.random()}`, now, new Date(now.getTime() + 86_400_000));
    const claimed: RunnerRecord[] = [];
    for (const [i, d] of stalled.entries()) {
      if (!won.has(keys[i]!)) continue;
      // No result has arrived for the stall timeout, so no collector is counting: the stored frames
      // are the truth, and a count a lost update left behind catches up here.
      const stored = await this.frames.countDocuments({ job_id: d._id });
      await this.runs.updateOne({ _id: d._id, status: 'processing' }, { $set: { updated_at: now }, $inc: { drives: 1 }, $max: { received_frames: stored } });
      claimed.push({ ...d, updated_at: now, drives: (d.drives ?? 0) + 1, received_frames: Math.max(d.received_frames, stored) });
    }
    return claimed;
  }

  async markReady(jobId: string, at: Date, output: { bucket: string; object: string }): Promise<boolean> {
    const done = await this.finalize({ _id: jobId, status: 'predictable' }, { $set: { status: 'ready', ready_at: at, output_s3: output, updated_at: at } }, at);
    if (done) {
      await this.leases.forget([`publish:${jobId}`]);
      // The published document holds the results now (see the port). FerretDB scans a collection
      // for any filter but `_id`: every job's results kept here made each publish read them all
      // (560 ms of its CPU a publish with 1,200 results stored). A crash before this delete leaves
      // results nothing reads; a redelivered result stored after it likewise (the record is not
      // `processing`, so it is not counted).
      await this.frames.deleteMany({ job_id: jobId });
      // Its totals too: the record has carried the total since `predictable`.
      const segments = (await this.runs.findOne({ _id: jobId }, { projection: { segments: 1 } }))?.segments;
      await this.totals.deleteMany({ _id: { $in: totalIds(jobId, segments) } });
    }
    return done;
  }

  /**
   * Applies `update` to the record `filter` matches, and — in the same update — makes its
   * notification pending when its input asks for a webhook; returns whether the record changed.
   * Two conditional updates, each atomic on its own: the first matches only a record that asks for
   * a webhook, and a record's input never changes once it is started, so exactly one can apply.
   */
  private async finalize(filter: Filter<StoredRecord>, update: { $set: MatchKeysAndValues<StoredRecord>; $inc?: Record<string, number>; $unset?: Record<string, ''> }, at: Date): Promise<boolean> {
    const notified = await this.runs.updateOne({ ...filter, ...ASKS_FOR_WEBHOOK }, { ...update, $set: { ...update.$set, ...pendingNotification(at) }, $unset: { ...update.$unset, ...FRESH_NOTIFICATION } });
    if (notified.modifiedCount === 1) {
      await this.notifiable.raise(at);
      return true;
    }
    return (await this.runs.updateOne(filter, update)).modifiedCount === 1;
  }

  markFailed(jobId: string, reason: string, at: Date, input?: VideoRef): Promise<boolean> {
    return this.recordUpdates.run(jobId, () => this.markFailedNow(jobId, reason, at, input));
  }

  private async markFailedNow(jobId: string, reason: string, at: Date, input?: VideoRef): Promise<boolean> {
    const active: Filter<StoredRecord> = { _id: jobId, status: { $in: ['processing', 'predictable'] } };
    const failed = { status: 'failed' as const, error: reason, failed_at: at, updated_at: at };
    if ((await this.runs.updateOne({ ...active, ...ASKS_FOR_WEBHOOK }, { $set: { ...failed, ...pendingNotification(at) }, $unset: FRESH_NOTIFICATION })).modifiedCount === 1) {
      await this.notifiable.raise(at);
      return true;
    }
    try {
      const u = await this.runs.updateOne(
        active,
        {
          $set: failed,
          $setOnInsert: {
            created_at: at,
            total_frames: null,
            received_frames: 0,
            expected_frames: null,
            parameters: { sample_every: 0 },
            ...(input ? { input } : {}),
            ...(webhookUrlOf(input) ? pendingNotification(at) : {}),
          },
        },
        { upsert: true },
      );
      if (u.upsertedCount === 1 && webhookUrlOf(input)) await this.notifiable.raise(at);
      return u.modifiedCount === 1 || u.upsertedCount === 1;
    } catch (err) {
      if (isDuplicate(err)) return false; // the record exists in a final status
      throw err;
    }
  }

  async *frameResults(jobId: string): AsyncIterable<FrameResult> {
    const cursor = this.frames.find({ job_id: jobId }, { projection: { _id: 0, frame: 1, timestamp_ms: 1, objects: 1, model: 1 } }).sort({ frame: 1 }).batchSize(500);
    for await (const d of cursor) {
      yield {
        frame: d.frame,
        ...(typeof d.timestamp_ms === 'number' ? { timestamp_ms: d.timestamp_ms } : {}),
        objects: d.objects,
        ...(d.model ? { model: { name: d.model.name, sha256: d.model.sha256 } } : {}),
      };
    }
  }

  async countByStatus(): Promise<Partial<Record<RunnerStatus, number>>> {
    const rows = await this.runs.aggregate<{ _id: RunnerStatus; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
    return Object.fromEntries(rows.map((r) => [r._id, r.n]));
  }

  async countActive(owner: string, dispatched: readonly string[]): Promise<number> {
    const ids = [...new Set(dispatched)];
    const UNFINISHED = ['processing', 'predictable'] as const;
    const [ended, orphans] = await Promise.all([
      ids.length > 0 ? this.runs.countDocuments({ _id: { $in: ids }, status: { $nin: [...UNFINISHED] } }) : 0,
      this.runs.countDocuments({ 'input.owner': owner, status: { $in: [...UNFINISHED] }, _id: { $nin: ids } }),
    ]);
    return ids.length - ended + orphans;
  }

  async deleteAll(): Promise<void> {
    await this.frames.deleteMany({});
    await this.totals.deleteMany({});
    await this.runs.deleteMany({});
    await this.leases.deleteAll();
    await this.publishable.forget();
    await this.notifiable.forget();
  }

  /** Claims through `MongoLeases` (keys `notify:{id}`), as `claimPredictable` does. */
  async claimNotifications(c: Claim): Promise<Notification[]> {
    const claimed = await this.claimByLeases(
      c,
      this.notifiable,
      notifyKey(''),
      { until: 'webhook_lease_until', owner: 'webhook_lease_owner' },
      { webhook_status: 'pending', status: { $in: ['ready', 'failed'] } },
      { webhook_next_at: { $lte: c.now } },
    );
    return claimed.map(toNotification);
  }

  async markNotified(n: NotificationRef, at: Date): Promise<boolean> {
    const u = await this.runs.updateOne(thePending(n), { $set: { webhook_status: 'delivered', webhook_delivered_at: at, webhook_lease_until: new Date(0) }, $unset: { webhook_lease_owner: '' } });
    if (u.modifiedCount === 1) await this.leases.forget([notifyKey(n.event_id)]);
    return u.modifiedCount === 1;
  }

  async recordNotificationFailure(n: NotificationRef, error: string, nextAttemptAt: Date): Promise<boolean> {
    await this.leases.release([notifyKey(n.event_id)]);
    const u = await this.runs.updateOne(thePending(n), {
      $inc: { webhook_attempts: 1 },
      $set: { webhook_error: error, webhook_next_at: nextAttemptAt, webhook_lease_until: new Date(0) },
      $unset: { webhook_lease_owner: '' },
    });
    if (u.modifiedCount === 1) await this.notifiable.raise(nextAttemptAt);
    return u.modifiedCount === 1;
  }

  async markNotificationDead(n: NotificationRef, error: string, at: Date): Promise<boolean> {
    await this.leases.release([notifyKey(n.event_id)]);
    const u = await this.runs.updateOne(thePending(n), {
      $inc: { webhook_attempts: 1 },
      $set: { webhook_status: 'dead', webhook_error: error, webhook_dead_at: at, webhook_lease_until: new Date(0) },
      $unset: { webhook_lease_owner: '' },
    });
    return u.modifiedCount === 1;
  }

  async listDeadNotifications(limit: number): Promise<Notification[]> {
    const dead = await this.runs.find({ webhook_status: 'dead', status: { $in: ['ready', 'failed'] } }).sort({ webhook_dead_at: 1, _id: 1 }).limit(limit).toArray();
    return dead.map(toNotification);
  }

  async replayNotification(jobId: string, at: Date): Promise<boolean> {
    const u = await this.runs.updateOne(
      { _id: jobId, webhook_status: 'dead', status: { $in: ['ready', 'failed'] } },
      { $set: { webhook_status: 'pending', webhook_attempts: 0, webhook_next_at: at }, $unset: { webhook_dead_at: '' } },
    );
    if (u.modifiedCount === 1) await this.notifiable.raise(at);
    return u.modifiedCount === 1;
  }

  async discardNotification(jobId: string): Promise<boolean> {
    return (await this.runs.updateOne({ _id: jobId, webhook_status: 'dead' }, { $set: { webhook_status: 'discarded' } })).modifiedCount === 1;
  }

  async purgeDeadNotifications(deadBefore: Date): Promise<number> {
    return (await this.runs.updateMany({ webhook_status: 'dead', webhook_dead_at: { $lt: deadBefore } }, { $set: { webhook_status: 'discarded' } })).modifiedCount;
  }

  failUndispatched(job: { _id: string; created_at: Date; input: VideoRef; traceparent?: string }, reason: string, at: Date): Promise<boolean> {
    return this.recordUpdates.run(job._id, async () => {
      try {
        const u = await this.runs.updateOne(
          { _id: job._id },
          {
            $setOnInsert: {
              status: 'failed',
              error: reason,
              failed_at: at,
              updated_at: at,
              created_at: job.created_at,
              total_frames: null,
              received_frames: 0,
              expected_frames: null,
              parameters: { sample_every: 0 },
              input: job.input,
              ...(job.traceparent ? { traceparent: job.traceparent } : {}),
              undispatched: true,
              ...(webhookUrlOf(job.input) ? pendingNotification(at) : {}),
            },
          },
          { upsert: true },
        );
        if (u.upsertedCount === 1 && webhookUrlOf(job.input)) await this.notifiable.raise(at);
        return u.upsertedCount === 1;
      } catch (err) {
        if (isDuplicate(err)) return false; // a concurrent write created the record
        throw err;
      }
    });
  }

  async forgetUndispatched(jobId: string): Promise<boolean> {
    const d = await this.runs.deleteOne({ _id: jobId, undispatched: true });
    if (d.deletedCount === 1) await this.leases.forget([notifyKey(jobId)]);
    return d.deletedCount === 1;
  }
}

/** The webhook notification's bookkeeping on a record (absent: nothing to announce). */
interface NotificationFields {
  webhook_status?: NotificationStatus;
  webhook_attempts?: number;
  webhook_next_at?: Date;
  webhook_error?: string;
  webhook_delivered_at?: Date;
  webhook_dead_at?: Date;
  /** A hint for skipping leased work; the lease itself is in runner_leases (`notify:{id}`). */
  webhook_lease_until?: Date;
  webhook_lease_owner?: string;
  /** Created for a job whose event died in the jobs outbox (`failUndispatched`). */
  undispatched?: boolean;
}

type StoredRecord = RunnerRecord & { lease_until?: Date; lease_owner?: string } & NotificationFields;

const notifyKey = (jobId: string) => `notify:${jobId}`;

/** The record asks for a webhook (`$gt: ''` matches non-empty strings only). */
const ASKS_FOR_WEBHOOK: Filter<StoredRecord> = { 'input.options.webhook_url': { $gt: '' } };
const pendingNotification = (at: Date) => ({ webhook_status: 'pending' as const, webhook_attempts: 0, webhook_next_at: at, webhook_lease_until: new Date(0) });
/** What a new notification must not inherit from an earlier one of the job. */
const FRESH_NOTIFICATION = { webhook_error: '', webhook_dead_at: '', webhook_delivered_at: '', webhook_lease_owner: '' } as const;

/** The pending notification of the job's current ending (see `NotificationRef`). */
const thePending = (n: NotificationRef): Filter<StoredRecord> => ({
  _id: n.event_id,
  status: n.status,
  ...(n.status === 'ready' ? { ready_at: n.occurred_at } : { failed_at: n.occurred_at }),
  webhook_status: 'pending',
});

function withoutNotification(d: StoredRecord): RunnerRecord {
  const { webhook_status: _s, webhook_attempts: _a, webhook_next_at: _n, webhook_error: _e, webhook_delivered_at: _d, webhook_dead_at: _x, webhook_lease_until: _l, webhook_lease_owner: _o, undispatched: _u, ...record } = d;
  return record;
}

function toNotification(d: StoredRecord): Notification {
  return {
    event_id: d._id,
    status: d.status as NotifiedStatus,
    webhook_url: webhookUrlOf(d.input) ?? '',
    occurred_at: (d.status === 'ready' ? d.ready_at : d.failed_at) ?? d.updated_at,
    created_at: d.created_at,
    ...(d.status === 'failed' && d.error ? { reason: d.error } : {}),
    attempts: d.webhook_attempts ?? 0,
    next_attempt_at: d.webhook_next_at ?? d.updated_at,
    ...(d.webhook_error ? { last_error: d.webhook_error } : {}),
    ...(d.webhook_dead_at ? { dead_at: d.webhook_dead_at } : {}),
    ...(d.traceparent ? { traceparent: d.traceparent } : {}),
  };
}
