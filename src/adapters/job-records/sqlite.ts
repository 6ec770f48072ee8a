import { prepared, type SqliteDatabase } from '../sqlite/database.js';
import { ensureRunnerSchema } from '../sqlite/runner-schema.js';
import { NOT_CLEARED, recordOf, toRecord, type RunnerRow } from '../sqlite/runner-rows.js';
import type { JobRecords } from '../../ports/job-records.js';
import type { RunnerRecord, RunnerStart, RunnerStatus } from '../../core/job.js';

/** The runner's job records in SQLite (`runner_predictions`; see `sqlite/runner-schema.ts`). */
export class SqliteJobRecords implements JobRecords {
  constructor(private readonly db: SqliteDatabase) {
    ensureRunnerSchema(db);
  }

  async start(s: RunnerStart): Promise<RunnerRecord | undefined> {
    prepared(
      this.db,
      `INSERT INTO runner_predictions (_id, status, expected_frames, parameters, created_at, updated_at, input, video, traceparent, segments)
         SELECT @id, 'processing', @expected_frames, @parameters, @created_at, @now, @input, @video, @traceparent, @segments WHERE ${NOT_CLEARED}
         ON CONFLICT (_id) DO NOTHING`,
    ).run({
      id: s._id,
      expected_frames: s.expected_frames,
      parameters: JSON.stringify(s.parameters),
      created_at: s.created_at.getTime(),
      now: Date.now(),
      input: s.input ? JSON.stringify(s.input) : null,
      video: s.video ? JSON.stringify(s.video) : null,
      traceparent: s.traceparent ?? null,
      segments: s.segments ?? 1,
    });
    return recordOf(this.db, s._id);
  }

  async get(jobId: string): Promise<RunnerRecord | undefined> {
    return recordOf(this.db, jobId);
  }

  async list(): Promise<RunnerRecord[]> {
    return (prepared(this.db, 'SELECT * FROM runner_predictions ORDER BY created_at, _id').all() as RunnerRow[]).map(toRecord);
  }

  async countByStatus(): Promise<Partial<Record<RunnerStatus, number>>> {
    const rows = prepared(this.db, 'SELECT status, COUNT(*) AS n FROM runner_predictions GROUP BY status').all() as Array<{ status: RunnerStatus; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async countActive(owner: string, dispatched: readonly string[]): Promise<number> {
    const ids = JSON.stringify(dispatched);
    const row = prepared(
      this.db,
      `SELECT
           (SELECT COUNT(*) FROM (SELECT DISTINCT value AS id FROM json_each(?)) d LEFT JOIN runner_predictions r ON r._id = d.id
             WHERE r._id IS NULL OR r.status IN ('processing', 'predictable'))
         + (SELECT COUNT(*) FROM runner_predictions WHERE json_extract(input, '$.owner') = ? AND status IN ('processing', 'predictable')
             AND _id NOT IN (SELECT value FROM json_each(?))) AS n`,
    ).get(ids, owner, ids) as { n: number };
    return row.n;
  }

  async cleanupCutoff(): Promise<Date | undefined> {
    const row = prepared(this.db, 'SELECT cutoff FROM runner_cleanup WHERE id = 1').get() as { cutoff: number } | undefined;
    return row ? new Date(row.cutoff) : undefined;
  }

  async clearBefore(cutoff: Date): Promise<string[]> {
    return this.db.transaction(() => {
      prepared(
        this.db,
        `INSERT INTO runner_cleanup (id, cutoff) VALUES (1, ?)
           ON CONFLICT (id) DO UPDATE SET cutoff = MAX(cutoff, excluded.cutoff)`,
      ).run(cutoff.getTime());
      const cleared = 'SELECT _id FROM runner_predictions WHERE created_at < (SELECT cutoff FROM runner_cleanup)';
      const ids = (prepared(this.db, cleared).all() as Array<{ _id: string }>).map((r) => r._id);
      prepared(this.db, `DELETE FROM frame_results WHERE job_id IN (${cleared})`).run();
      prepared(this.db, `DELETE FROM segment_totals WHERE job_id IN (${cleared})`).run();
      prepared(this.db, 'DELETE FROM runner_predictions WHERE created_at < (SELECT cutoff FROM runner_cleanup)').run();
      return ids;
    })();
  }
}
