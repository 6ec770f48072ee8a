import type { MongoRunnerCollections } from '../mongo/runner-collections.js';
import { normalize, publishKey, totalIds } from '../mongo/runner-documents.js';
import type { ResultsOutbox } from '../../ports/results-outbox.js';
import type { Claim, RunnerRecord } from '../../core/job.js';
import type { ResultWarning } from '../../core/damage.js';

/** The results outbox in MongoDB: `predictable` records, leased through `runner_leases` (`publish:{id}`). */
export class MongoResultsOutbox implements ResultsOutbox {
  constructor(private readonly db: MongoRunnerCollections) {}

  /** Claims through `MongoLeases` (a unique insert decides: racing publishers never share a job). */
  async claimPredictable(c: Claim): Promise<RunnerRecord[]> {
    // A record that never had a lease (or a failed publish) lacks the field (absent compares below
    // any date in neither MongoDB nor FerretDB), so the filter accepts absent as free / due.
    const claimed = await this.db.claimByLeases(
      c,
      this.db.publishable,
      publishKey(''),
      { until: 'lease_until', owner: 'lease_owner' },
      { status: 'predictable' },
      {
        $or: [{ publish_next_at: { $exists: false } }, { publish_next_at: { $lte: c.now } }],
      },
    );
    return claimed.map((d) => normalize(d)!);
  }

  async markReady(jobId: string, at: Date, output: { bucket: string; object: string }, warnings?: readonly ResultWarning[]): Promise<boolean> {
    const done = await this.db.finalize(
      { _id: jobId, status: 'predictable' },
      { $set: { status: 'ready', ready_at: at, output_s3: output, ...(warnings?.length ? { warnings: [...warnings] } : {}), updated_at: at } },
      at,
    );
    if (done) {
      await this.db.leases.forget([publishKey(jobId)]);
      // The published document holds the results now (see the port). FerretDB scans a collection
      // for any filter but `_id`: every job's results kept here made each publish read them all
      // (560 ms of its CPU a publish with 1,200 results stored). A crash before this delete leaves
      // results nothing reads; a redelivered result stored after it likewise (the record is not
      // `processing`, so it is not counted).
      await this.db.frames.deleteMany({ job_id: jobId });
      // Its totals too: the record has carried the total since `predictable`.
      const segments = (await this.db.records.findOne({ _id: jobId }, { projection: { segments: 1 } }))?.segments;
      await this.db.totals.deleteMany({ _id: { $in: totalIds(jobId, segments) } });
    }
    return done;
  }

  async recordPublishFailure(jobId: string, error: string, nextAttemptAt: Date): Promise<boolean> {
    await this.releaseLease(jobId);
    const u = await this.db.records.updateOne(
      { _id: jobId, status: 'predictable' },
      { $inc: { publish_attempts: 1 }, $set: { publish_error: error, publish_next_at: nextAttemptAt, lease_until: new Date(0) }, $unset: { lease_owner: '' } },
    );
    if (u.modifiedCount === 1) await this.db.publishable.raise(nextAttemptAt);
    return u.modifiedCount === 1;
  }

  /** Called by the lease holder after a failed publish: frees the job's lease (as the outbox does). */
  private async releaseLease(jobId: string): Promise<void> {
    await this.db.leases.release([publishKey(jobId)]);
  }

  async markPublishDead(jobId: string, reason: string, at: Date): Promise<boolean> {
    await this.releaseLease(jobId);
    return this.db.finalize(
      { _id: jobId, status: 'predictable' },
      {
        $inc: { publish_attempts: 1 },
        $set: { status: 'failed', error: reason, publish_error: reason, failed_at: at, dead_at: at, updated_at: at, lease_until: new Date(0) },
        $unset: { lease_owner: '' },
      },
      at,
    );
  }
}
