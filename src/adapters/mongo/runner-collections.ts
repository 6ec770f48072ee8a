import type { Collection, Db, Filter, MatchKeysAndValues } from 'mongodb';
import type { Claim, RunnerRecord } from '../../core/job.js';
import { MongoLeases } from './lease-claims.js';
import { PerKeyQueue } from './per-key-queue.js';
import { ClaimSignal } from './claim-signal.js';
import {
  ASKS_FOR_WEBHOOK,
  FRESH_NOTIFICATION,
  normalize,
  pendingNotification,
  segmentTotalId,
  totalIds,
  CLEANUP_ID,
  notifyKey,
  publishKey,
  type CleanupDoc,
  type FrameDoc,
  type StoredRecord,
  type TotalDoc,
} from './runner-documents.js';

/**
 * `runner_db` in MongoDB (also FerretDB), shared by every runner port's adapter of one process:
 * `runner_predictions` (the records), `frame_results` (one document per (job, frame), unique
 * index, so a two-hour video never meets the 16 MB document limit), `runner_totals`,
 * `runner_leases`, `runner_signals` and `runner_cleanup`. One instance per process and database: the ports'
 * adapters must share its `recordUpdates` queue and its claim signals (`mongoRunnerDatabase`).
 *
 * Written for what MongoDB and FerretDB both support: no multi-document transactions, no `$expr`.
 * Counting a new frame is two writes (insert, then `$inc`); a crash between them is healed on the
 * redelivery, which finds the duplicate and recounts the job's frames.
 *
 * On FerretDB two concurrent updates of one document can lose one (it reads the document, applies
 * the update and writes the whole document back). Two defences:
 * - a job record's updates from this process run one at a time (`recordUpdates`, whichever port
 *   makes them);
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
export class MongoRunnerCollections {
  /** `runner_predictions`: the job records (with their notifications and lease hints). */
  readonly records: Collection<StoredRecord>;
  readonly frames: Collection<FrameDoc>;
  readonly totals: Collection<TotalDoc>;
  /** `runner_cleanup`: one document, the cleanup cutoff (`JobRecords.clearBefore`). */
  readonly cleanup: Collection<CleanupDoc>;
  readonly leases: MongoLeases;
  /** A job record's writes from this process, one at a time (see the class comment). */
  readonly recordUpdates = new PerKeyQueue();
  /** Raised by every write that makes a record's publish (or notification) claimable; see `ClaimSignal`. */
  readonly publishable: ClaimSignal;
  readonly notifiable: ClaimSignal;

  constructor(db: Db) {
    this.leases = new MongoLeases(db, 'runner_leases');
    this.publishable = new ClaimSignal(db, 'runner_signals', 'publish');
    this.notifiable = new ClaimSignal(db, 'runner_signals', 'notify');
    this.records = db.collection<StoredRecord>('runner_predictions');
    this.frames = db.collection<FrameDoc>('frame_results');
    this.totals = db.collection<TotalDoc>('runner_totals');
    this.cleanup = db.collection<CleanupDoc>('runner_cleanup');
  }

  /**
   * Whether a job created at `createdAt` was created before the cleanup cutoff (removed, never to be
   * recorded again). Read on every write that creates a record: before it, to skip a doomed write,
   * and after it, to undo one that raced a cleanup (no transactions: the cleanup sets the cutoff
   * before it deletes, so either it deletes the new record or the check after the write sees the
   * cutoff).
   */
  async cleared(createdAt: Date): Promise<boolean> {
    const c = await this.cleanup.findOne({ _id: CLEANUP_ID });
    return c !== null && c.cutoff.getTime() > createdAt.getTime();
  }

  /** `cleared`, checked after a write that created the record `jobId`: if so, undoes it. Returns whether it did. */
  async undoIfCleared(jobId: string, createdAt: Date): Promise<boolean> {
    if (!(await this.cleared(createdAt))) return false;
    await this.records.deleteOne({ _id: jobId, created_at: createdAt });
    await this.leases.forget([notifyKey(jobId), publishKey(jobId)]);
    return true;
  }

  /** The indexes every runner port's queries rely on. Idempotent. */
  async ensureIndexes(): Promise<void> {
    await this.records.createIndex({ status: 1, created_at: 1 });
    await this.records.createIndex({ status: 1, updated_at: 1 });
    await this.records.createIndex({ webhook_status: 1, webhook_next_at: 1 });
    // `countActive`: a key's unfinished jobs.
    await this.records.createIndex({ 'input.owner': 1, status: 1 });
    await this.leases.ensureIndexes();
    await this.frames.createIndex({ job_id: 1, frame: 1 }, { unique: true });
  }

  /** The job's record with its frame total merged in (see `withTotals`), or `undefined`. */
  async record(jobId: string): Promise<RunnerRecord | undefined> {
    const d = await this.records.findOne({ _id: jobId });
    return d ? (await this.withTotals([d]))[0] : undefined;
  }

  /**
   * Records as stored, with the frame totals of those still `processing` merged in: a job in one
   * segment has one `runner_totals` document (its id); a job in N segments one per segment
   * (`{id}#{k}`), each written by its segment's extractor only, and its total is their sum once all
   * N are there.
   */
  async withTotals(docs: StoredRecord[]): Promise<RunnerRecord[]> {
    const open = docs.filter((d) => d.status === 'processing');
    const ids = open.flatMap((d) => totalIds(d._id, d.segments));
    const totals =
      ids.length === 0 ? [] : ids.length === 1 ? await this.totals.find({ _id: ids[0]! }).toArray() : await this.totals.find({ _id: { $in: ids } }).toArray();
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

  /**
   * The claim both outboxes kept in runner records use: up to `c.limit` records matching `state`
   * and `due` whose lease hint (`fields`) is free, expired or `c.owner`'s, oldest first; then the
   * leases `{prefix}{id}` in `MongoLeases` decide (one racing claimer wins each); the winner's hint
   * is written and the records it won, still in `state`, are read back. The hint only spares
   * claimers a doomed try: the lease itself is the document in the leases collection.
   */
  async claimByLeases(
    c: Claim,
    signal: ClaimSignal,
    prefix: string,
    fields: { until: 'lease_until' | 'webhook_lease_until'; owner: 'lease_owner' | 'webhook_lease_owner' },
    state: Filter<StoredRecord>,
    due: Filter<StoredRecord>,
  ): Promise<StoredRecord[]> {
    const free: Filter<StoredRecord> = { $or: [{ [fields.until]: { $exists: false } }, { [fields.until]: { $lte: c.now } }, { [fields.owner]: c.owner }] };
    const candidates = await signal.scan(c.owner, c.now, () =>
      this.records
        .find({ ...state, $and: [free, due] }, { projection: { _id: 1 } })
        .sort({ created_at: 1, _id: 1 })
        .limit(c.limit)
        .toArray(),
    );
    if (candidates.length === 0) return [];
    const until = new Date(c.now.getTime() + c.leaseMs);
    const won = [
      ...(await this.leases.take(
        candidates.map((d) => `${prefix}${d._id}`),
        c.owner,
        c.now,
        until,
      )),
    ].map((k) => k.slice(prefix.length));
    if (won.length === 0) return [];
    // Should the winner die holding them, the work is claimable again when the leases expire.
    await signal.raise(until);
    await this.records.updateMany({ _id: { $in: won } }, { $set: { [fields.until]: until, [fields.owner]: c.owner } as MatchKeysAndValues<StoredRecord> });
    return this.records
      .find({ _id: { $in: won }, ...state })
      .sort({ created_at: 1, _id: 1 })
      .toArray();
  }

  /**
   * Applies `update` to the record `filter` matches, and — in the same update — makes its
   * notification pending when its input asks for a webhook; returns whether the record changed.
   * Two conditional updates, each atomic on its own: the first matches only a record that asks for
   * a webhook, and a record's input never changes once it is started, so exactly one can apply.
   */
  async finalize(
    filter: Filter<StoredRecord>,
    update: { $set: MatchKeysAndValues<StoredRecord>; $inc?: Record<string, number>; $unset?: Record<string, ''> },
    at: Date,
  ): Promise<boolean> {
    const notified = await this.records.updateOne(
      { ...filter, ...ASKS_FOR_WEBHOOK },
      { ...update, $set: { ...update.$set, ...pendingNotification(at) }, $unset: { ...update.$unset, ...FRESH_NOTIFICATION } },
    );
    if (notified.modifiedCount === 1) {
      await this.notifiable.raise(at);
      return true;
    }
    return (await this.records.updateOne(filter, update)).modifiedCount === 1;
  }
}
