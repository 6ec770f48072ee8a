import { prepared, type SqliteDatabase } from '../sqlite/database.js';
import { ensureRunnerSchema } from '../sqlite/runner-schema.js';
import { initialWebhookStatus, NOT_CLEARED, notifyIfAsked, recordOf, toRecord, type RunnerRow } from '../sqlite/runner-rows.js';
import type { FrameCollection } from '../../ports/frame-collection.js';
import type { RunnerRecord, SubmittedJob } from '../../core/job.js';
import type { FrameResult, ModelRef } from '../../core/types.js';

/** Frame collection in SQLite: `frame_results` and `segment_totals` beside `runner_predictions`. */
export class SqliteFrameCollection implements FrameCollection {
  constructor(private readonly db: SqliteDatabase) {
    ensureRunnerSchema(db);
  }

  async setTotalFrames(jobId: string, total: number, segment = 0): Promise<RunnerRecord | undefined> {
    this.db.transaction(() => {
      const r = recordOf(this.db, jobId);
      if (!r || r.status !== 'processing') return;
      const segments = r.segments ?? 1;
      if (segments <= 1) {
        prepared(this.db, "UPDATE runner_predictions SET total_frames = ?, updated_at = ? WHERE _id = ? AND status = 'processing'").run(
          total,
          Date.now(),
          jobId,
        );
        return;
      }
      prepared(
        this.db,
        'INSERT INTO segment_totals (job_id, segment, total) VALUES (?, ?, ?) ON CONFLICT (job_id, segment) DO UPDATE SET total = excluded.total',
      ).run(jobId, segment, total);
      const sum = prepared(this.db, 'SELECT COUNT(*) AS n, SUM(total) AS frames FROM segment_totals WHERE job_id = ? AND segment < ?').get(jobId, segments) as {
        n: number;
        frames: number;
      };
      if (sum.n === segments)
        prepared(this.db, "UPDATE runner_predictions SET total_frames = ?, updated_at = ? WHERE _id = ? AND status = 'processing'").run(
          sum.frames,
          Date.now(),
          jobId,
        );
    })();
    return recordOf(this.db, jobId);
  }

  private readonly addFrame = (jobId: string, result: FrameResult): RunnerRecord | undefined => {
    const record = recordOf(this.db, jobId);
    if (!record || record.status !== 'processing') return record;
    const ins = prepared(this.db, 'INSERT INTO frame_results (job_id, frame, objects, model, timestamp_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING').run(
      jobId,
      result.frame,
      JSON.stringify(result.objects),
      result.model ? JSON.stringify(result.model) : null,
      result.timestamp_ms ?? null,
    );
    if (ins.changes === 0) return record; // a redelivered result: already counted
    prepared(this.db, 'UPDATE runner_predictions SET received_frames = received_frames + 1, updated_at = ? WHERE _id = ?').run(Date.now(), jobId);
    return recordOf(this.db, jobId);
  };

  async addFrameResult(jobId: string, result: FrameResult): Promise<RunnerRecord | undefined> {
    // A frame's result is derived data: a power loss that rolls back the latest results costs only
    // their frames, which the stall sweep extracts again (as after kill -9). So its commit skips the
    // WAL fsync (`synchronous=NORMAL`); the WAL is appended in order, so the next FULL commit — an
    // upload, a status change — makes every result before it durable too. Safe to toggle: the
    // connection is synchronous, nothing else runs on it between the pragmas.
    prepared(this.db, 'PRAGMA synchronous = NORMAL').run();
    try {
      return this.db.transaction(this.addFrame)(jobId, result);
    } finally {
      prepared(this.db, 'PRAGMA synchronous = FULL').run();
    }
  }

  async markPredictable(jobId: string): Promise<boolean> {
    const r = prepared(
      this.db,
      `UPDATE runner_predictions SET status = 'predictable', updated_at = ?
         WHERE _id = ? AND status = 'processing' AND total_frames IS NOT NULL AND received_frames >= total_frames`,
    ).run(Date.now(), jobId);
    return r.changes === 1;
  }

  async *frameResults(jobId: string): AsyncIterable<FrameResult> {
    // Keyset pages keep memory bounded and never hold a read cursor across an await.
    const page = prepared(this.db, 'SELECT frame, timestamp_ms, objects, model FROM frame_results WHERE job_id = ? AND frame > ? ORDER BY frame LIMIT 500');
    let after = -1;
    for (;;) {
      const rows = page.all(jobId, after) as Array<{ frame: number; timestamp_ms: number | null; objects: string; model: string | null }>;
      if (rows.length === 0) return;
      for (const r of rows) {
        yield {
          frame: r.frame,
          ...(r.timestamp_ms !== null ? { timestamp_ms: r.timestamp_ms } : {}),
          objects: JSON.parse(r.objects) as FrameResult['objects'],
          ...(r.model ? { model: JSON.parse(r.model) as ModelRef } : {}),
        };
      }
      after = rows[rows.length - 1]!.frame;
    }
  }

  async claimStalled(stalledBefore: Date, now: Date, limit: number): Promise<RunnerRecord[]> {
    return this.db.transaction(() => {
      const rows = prepared(this.db, "SELECT * FROM runner_predictions WHERE status = 'processing' AND updated_at < ? ORDER BY updated_at, _id LIMIT ?").all(
        stalledBefore.getTime(),
        limit,
      ) as RunnerRow[];
      const bump = prepared(this.db, 'UPDATE runner_predictions SET updated_at = ?, drives = drives + 1 WHERE _id = ?');
      for (const r of rows) bump.run(now.getTime(), r._id);
      return rows.map((r) => ({ ...toRecord(r), updated_at: now, drives: r.drives + 1 }));
    })();
  }

  async markFailed(jobId: string, reason: string, at: Date, job?: SubmittedJob): Promise<boolean> {
    const args = { id: jobId, at: at.getTime(), reason };
    if (!job) {
      const moved = prepared(
        this.db,
        `UPDATE runner_predictions SET status = 'failed', failed_at = @at, updated_at = @at, error = @reason, ${notifyIfAsked('input', '@at')}
           WHERE _id = @id AND status IN ('processing', 'predictable')`,
      ).run(args);
      return moved.changes === 1;
    }
    const r = prepared(
      this.db,
      `INSERT INTO runner_predictions (_id, status, parameters, created_at, updated_at, failed_at, error, input, webhook_status, webhook_next_at)
         SELECT @id, 'failed', '{}', @created_at, @at, @at, @reason, @input, @webhook_status, @at WHERE ${NOT_CLEARED}
         ON CONFLICT (_id) DO UPDATE SET status = 'failed', failed_at = excluded.failed_at,
           updated_at = excluded.updated_at, error = excluded.error, input = COALESCE(input, excluded.input),
           ${notifyIfAsked('COALESCE(input, excluded.input)', 'excluded.failed_at')}
         WHERE runner_predictions.status IN ('processing', 'predictable')`,
    ).run({ ...args, created_at: job.created_at.getTime(), input: JSON.stringify(job.input), webhook_status: initialWebhookStatus(job.input) });
    return r.changes === 1;
  }
}
