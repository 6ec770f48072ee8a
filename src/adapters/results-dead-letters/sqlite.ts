import { prepared, type SqliteDatabase } from '../sqlite/database.js';
import { ensureRunnerSchema } from '../sqlite/runner-schema.js';
import { toRecord, type RunnerRow } from '../sqlite/runner-rows.js';
import type { ResultsDeadLetters } from '../../ports/results-dead-letters.js';
import type { RunnerRecord } from '../../core/job.js';

/** Dead results in SQLite: `runner_predictions` rows with `dead_at` set. */
export class SqliteResultsDeadLetters implements ResultsDeadLetters {
  constructor(private readonly db: SqliteDatabase) {
    ensureRunnerSchema(db);
  }

  async listDead(limit: number): Promise<RunnerRecord[]> {
    return (prepared(this.db, 'SELECT * FROM runner_predictions WHERE dead_at IS NOT NULL ORDER BY dead_at, _id LIMIT ?').all(limit) as RunnerRow[]).map(
      toRecord,
    );
  }

  async replayDead(jobId: string, at: Date): Promise<boolean> {
    const r = prepared(
      this.db,
      `UPDATE runner_predictions SET status = 'predictable', publish_attempts = 0, publish_next_at = ?, dead_at = NULL,
           error = NULL, failed_at = NULL, updated_at = ? WHERE _id = ? AND status = 'failed' AND dead_at IS NOT NULL`,
    ).run(at.getTime(), at.getTime(), jobId);
    return r.changes === 1;
  }

  async discardDead(jobId: string): Promise<boolean> {
    return prepared(this.db, 'UPDATE runner_predictions SET dead_at = NULL WHERE _id = ? AND dead_at IS NOT NULL').run(jobId).changes === 1;
  }

  async purgeDead(deadBefore: Date): Promise<number> {
    return prepared(this.db, 'UPDATE runner_predictions SET dead_at = NULL WHERE dead_at < ?').run(deadBefore.getTime()).changes;
  }
}
