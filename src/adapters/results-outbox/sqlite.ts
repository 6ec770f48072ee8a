import { prepared, type SqliteDatabase } from '../sqlite/database.js';
import { claimRows } from '../sqlite/leases.js';
import { ensureRunnerSchema } from '../sqlite/runner-schema.js';
import { notifyIfAsked, toRecord, type RunnerRow } from '../sqlite/runner-rows.js';
import type { ResultsOutbox } from '../../ports/results-outbox.js';
import type { Claim, RunnerRecord } from '../../core/job.js';
import type { ResultWarning } from '../../core/damage.js';

/** The results outbox in SQLite: `predictable` rows of `runner_predictions`, leased by `claimRows`. */
export class SqliteResultsOutbox implements ResultsOutbox {
  constructor(private readonly db: SqliteDatabase) {
    ensureRunnerSchema(db);
  }

  async claimPredictable(c: Claim): Promise<RunnerRecord[]> {
    return claimRows<RunnerRow>(this.db, 'runner_predictions', 'predictable', c, 'publish_next_at').map(toRecord);
  }

  async markReady(jobId: string, at: Date, output: { bucket: string; object: string }, warnings?: readonly ResultWarning[]): Promise<boolean> {
    return this.db.transaction(() => {
      const r = prepared(
        this.db,
        `UPDATE runner_predictions SET status = 'ready', ready_at = ?, output_s3 = ?, warnings = ?, updated_at = ?, ${notifyIfAsked('input', '?')}
           WHERE _id = ? AND status = 'predictable'`,
      ).run(at.getTime(), JSON.stringify(output), warnings?.length ? JSON.stringify(warnings) : null, at.getTime(), at.getTime(), jobId);
      // The published document holds the results now (see the port).
      if (r.changes === 1) prepared(this.db, 'DELETE FROM frame_results WHERE job_id = ?').run(jobId);
      return r.changes === 1;
    })();
  }

  async recordPublishFailure(jobId: string, error: string, nextAttemptAt: Date): Promise<boolean> {
    const r = prepared(
      this.db,
      `UPDATE runner_predictions SET publish_attempts = publish_attempts + 1, publish_error = ?, publish_next_at = ?,
           lease_until = 0, lease_owner = NULL WHERE _id = ? AND status = 'predictable'`,
    ).run(error, nextAttemptAt.getTime(), jobId);
    return r.changes === 1;
  }

  async markPublishDead(jobId: string, reason: string, at: Date): Promise<boolean> {
    const r = prepared(
      this.db,
      `UPDATE runner_predictions SET status = 'failed', error = ?, publish_error = ?, publish_attempts = publish_attempts + 1,
           failed_at = ?, dead_at = ?, updated_at = ?, lease_until = 0, lease_owner = NULL, ${notifyIfAsked('input', '?')} WHERE _id = ? AND status = 'predictable'`,
    ).run(reason, reason, at.getTime(), at.getTime(), at.getTime(), at.getTime(), jobId);
    return r.changes === 1;
  }
}
