import { isDuplicate } from '../mongo/write-errors.js';
import type { MongoRunnerCollections } from '../mongo/runner-collections.js';
import { notifyKey, pendingNotification } from '../mongo/runner-documents.js';
import type { UndispatchedJob, UndispatchedJobs } from '../../ports/undispatched-jobs.js';
import { webhookUrlOf } from '../../core/notification.js';

/** Undispatched jobs in MongoDB: records with `undispatched: true`. */
export class MongoUndispatchedJobs implements UndispatchedJobs {
  constructor(private readonly db: MongoRunnerCollections) {}

  failUndispatched(job: UndispatchedJob, reason: string, at: Date): Promise<boolean> {
    return this.db.recordUpdates.run(job._id, async () => {
      if (await this.db.cleared(job.created_at)) return false;
      try {
        const u = await this.db.records.updateOne(
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
        if (u.upsertedCount !== 1 || (await this.db.undoIfCleared(job._id, job.created_at))) return false;
        if (webhookUrlOf(job.input)) await this.db.notifiable.raise(at);
        return true;
      } catch (err) {
        if (isDuplicate(err)) return false; // a concurrent write created the record
        throw err;
      }
    });
  }

  async forgetUndispatched(jobId: string): Promise<boolean> {
    const d = await this.db.records.deleteOne({ _id: jobId, undispatched: true });
    if (d.deletedCount === 1) await this.db.leases.forget([notifyKey(jobId)]);
    return d.deletedCount === 1;
  }
}
