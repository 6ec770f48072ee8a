import { prepared, type SqliteDatabase } from '../sqlite/database.js';
import { ensureRunnerSchema } from '../sqlite/runner-schema.js';
import { initialWebhookStatus, NOT_CLEARED } from '../sqlite/runner-rows.js';
import type { UndispatchedJob, UndispatchedJobs } from '../../ports/undispatched-jobs.js';

/** Undispatched jobs in SQLite: `runner_predictions` rows with `undispatched = 1`. */
export class SqliteUndispatchedJobs implements UndispatchedJobs {
  constructor(private readonly db: SqliteDatabase) {
    ensureRunnerSchema(db);
  }

  async failUndispatched(job: UndispatchedJob, reason: string, at: Date): Promise<boolean> {
    const r = prepared(
      this.db,
      `INSERT INTO runner_predictions (_id, status, parameters, created_at, updated_at, failed_at, error, input, traceparent, undispatched, webhook_status, webhook_next_at)
         SELECT @id, 'failed', '{}', @created_at, @at, @at, @reason, @input, @traceparent, 1, @webhook_status, @at WHERE ${NOT_CLEARED}
         ON CONFLICT (_id) DO NOTHING`,
    ).run({
      id: job._id,
      created_at: job.created_at.getTime(),
      at: at.getTime(),
      reason,
      input: JSON.stringify(job.input),
      traceparent: job.traceparent ?? null,
      webhook_status: initialWebhookStatus(job.input),
    });
    return r.changes === 1;
  }

  async forgetUndispatched(jobId: string): Promise<boolean> {
    return prepared(this.db, 'DELETE FROM runner_predictions WHERE _id = ? AND undispatched = 1').run(jobId).changes === 1;
  }
}
