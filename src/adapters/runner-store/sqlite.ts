import { prepared, type SqliteDatabase } from '../sqlite/database.js';
import type { RunnerStore } from '../../ports/runner-store.js';
import type { Claim, RunnerRecord, RunnerStart, RunnerStatus, VideoRef } from '../../core/job.js';
import { addColumns, claimRows, LEASE_COLUMNS } from '../sqlite/leases.js';
import type { FrameResult, ModelRef } from '../../core/types.js';
import { webhookUrlOf, type Notification, type NotificationRef, type NotifiedStatus } from '../../core/notification.js';

interface Row {
  _id: string;
  status: RunnerStatus;
  total_frames: number | null;
  received_frames: number;
  expected_frames: number | null;
  parameters: string;
  created_at: number;
  updated_at: number;
  ready_at: number | null;
  failed_at: number | null;
  output_s3: string | null;
  error: string | null;
  input: string | null;
  video: string | null;
  traceparent: string | null;
  drives: number;
  publish_attempts: number;
  publish_next_at: number;
  publish_error: string | null;
  dead_at: number | null;
  segments: number;
}

/** Columns added after version 0.1 (re-drive, the result outbox's bookkeeping, video metadata). */
const LATER_COLUMNS = {
  input: 'TEXT',
  video: 'TEXT',
  traceparent: 'TEXT',
  drives: 'INTEGER NOT NULL DEFAULT 0',
  publish_attempts: 'INTEGER NOT NULL DEFAULT 0',
  publish_next_at: 'INTEGER NOT NULL DEFAULT 0',
  publish_error: 'TEXT',
  dead_at: 'INTEGER',
  segments: 'INTEGER NOT NULL DEFAULT 1',
};

const toRecord = (r: Row): RunnerRecord => ({
  _id: r._id,
  status: r.status,
  total_frames: r.total_frames,
  received_frames: r.received_frames,
  expected_frames: r.expected_frames,
  parameters: JSON.parse(r.parameters) as RunnerRecord['parameters'],
  created_at: new Date(r.created_at),
  updated_at: new Date(r.updated_at),
  ...(r.ready_at !== null ? { ready_at: new Date(r.ready_at) } : {}),
  ...(r.failed_at !== null ? { failed_at: new Date(r.failed_at) } : {}),
  ...(r.output_s3 !== null ? { output_s3: JSON.parse(r.output_s3) as RunnerRecord['output_s3'] } : {}),
  ...(r.error !== null ? { error: r.error } : {}),
  ...(r.input !== null ? { input: JSON.parse(r.input) as RunnerRecord['input'] } : {}),
  ...(r.video !== null ? { video: JSON.parse(r.video) as RunnerRecord['video'] } : {}),
  ...(r.traceparent !== null ? { traceparent: r.traceparent } : {}),
  ...(r.segments > 1 ? { segments: r.segments } : {}),
  drives: r.drives,
  publish_attempts: r.publish_attempts,
  ...(r.publish_next_at > 0 ? { publish_next_at: new Date(r.publish_next_at) } : {}),
  ...(r.publish_error !== null ? { publish_error: r.publish_error } : {}),
  ...(r.dead_at !== null ? { dead_at: new Date(r.dead_at) } : {}),
});

/** `runner_db.runner_predictions` and `runner_db.frame_results` as SQLite tables. */
export class SqliteRunnerStore implements RunnerStore {
  constructor(private readonly db: SqliteDatabase) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS runner_predictions (
        _id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        total_frames INTEGER,
        received_frames INTEGER NOT NULL DEFAULT 0,
        expected_frames INTEGER,
        parameters TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        ready_at INTEGER,
        failed_at INTEGER,
        output_s3 TEXT,
        error TEXT
      );
      CREATE INDEX IF NOT EXISTS runner_status_created ON runner_predictions (status, created_at);
      CREATE TABLE IF NOT EXISTS segment_totals (
        job_id TEXT NOT NULL,
        segment INTEGER NOT NULL,
        total INTEGER NOT NULL,
        PRIMARY KEY (job_id, segment)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS frame_results (
        job_id TEXT NOT NULL,
        frame INTEGER NOT NULL,
        objects TEXT NOT NULL,
        PRIMARY KEY (job_id, frame)
      ) WITHOUT ROWID;
    `);
    addColumns(db, 'runner_predictions', { ...LEASE_COLUMNS, ...LATER_COLUMNS });
    addColumns(db, 'runner_predictions', NOTIFICATION_COLUMNS);
    db.exec('CREATE INDEX IF NOT EXISTS runner_webhook_due ON runner_predictions (webhook_status, webhook_next_at)');
    // `countActive`: a key's unfinished jobs (the expression must match the query's exactly).
    db.exec("CREATE INDEX IF NOT EXISTS runner_owner_status ON runner_predictions (json_extract(input, '$.owner'), status)");
    addColumns(db, 'frame_results', { model: 'TEXT', timestamp_ms: 'REAL' });
  }

  private row(id: string): RunnerRecord | undefined {
    const r = prepared(this.db, 'SELECT * FROM runner_predictions WHERE _id = ?').get(id) as Row | undefined;
    return r && toRecord(r);
  }

  async start(s: RunnerStart): Promise<RunnerRecord> {
    const now = Date.now();
    prepared(
      this.db,
      `INSERT INTO runner_predictions (_id, status, expected_frames, parameters, created_at, updated_at, input, video, traceparent, segments)
         VALUES (?, 'processing', ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (_id) DO NOTHING`,
    ).run(s._id, s.expected_frames, JSON.stringify(s.parameters), s.created_at.getTime(), now, s.input ? JSON.stringify(s.input) : null, s.video ? JSON.stringify(s.video) : null, s.traceparent ?? null, s.segments ?? 1);
    return this.row(s._id)!;
  }

  async get(jobId: string): Promise<RunnerRecord | undefined> {
    return this.row(jobId);
  }

  async list(): Promise<RunnerRecord[]> {
    return (prepared(this.db, 'SELECT * FROM runner_predictions ORDER BY created_at, _id').all() as Row[]).map(toRecord);
  }

  async setTotalFrames(jobId: string, total: number, segment = 0): Promise<RunnerRecord | undefined> {
    this.db.transaction(() => {
      const r = this.row(jobId);
      if (!r || r.status !== 'processing') return;
      const segments = r.segments ?? 1;
      if (segments <= 1) {
        prepared(this.db, "UPDATE runner_predictions SET total_frames = ?, updated_at = ? WHERE _id = ? AND status = 'processing'").run(total, Date.now(), jobId);
        return;
      }
      prepared(this.db, 'INSERT INTO segment_totals (job_id, segment, total) VALUES (?, ?, ?) ON CONFLICT (job_id, segment) DO UPDATE SET total = excluded.total').run(jobId, segment, total);
      const sum = prepared(this.db, 'SELECT COUNT(*) AS n, SUM(total) AS frames FROM segment_totals WHERE job_id = ? AND segment < ?').get(jobId, segments) as { n: number; frames: number };
      if (sum.n === segments) prepared(this.db, "UPDATE runner_predictions SET total_frames = ?, updated_at = ? WHERE _id = ? AND status = 'processing'").run(sum.frames, Date.now(), jobId);
    })();
    return this.row(jobId);
  }

  private readonly addFrame = (jobId: string, result: FrameResult): RunnerRecord | undefined => {
    const record = this.row(jobId);
    if (!record || record.status !== 'processing') return record;
    const ins = prepared(this.db, 'INSERT INTO frame_results (job_id, frame, objects, model, timestamp_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(jobId, result.frame, JSON.stringify(result.objects), result.model ? JSON.stringify(result.model) : null, result.timestamp_ms ?? null);
    if (ins.changes === 0) return record; // a redelivered result: already counted
    prepared(this.db, 'UPDATE runner_predictions SET received_frames = received_frames + 1, updated_at = ? WHERE _id = ?')
      .run(Date.now(), jobId);
    return this.row(jobId);
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
    const r = prepared(this.db, 
        `UPDATE runner_predictions SET status = 'predictable', updated_at = ?
         WHERE _id = ? AND status = 'processing' AND total_frames IS NOT NULL AND received_frames >= total_frames`,
      )
      .run(Date.now(), jobId);
    return r.changes === 1;
  }

  async claimPredictable(c: Claim): Promise<RunnerRecord[]> {
    return claimRows<Row>(this.db, 'runner_predictions', 'predictable', c, 'publish_next_at').map(toRecord);
  }

  async recordPublishFailure(jobId: string, error: string, nextAttemptAt: Date): Promise<boolean> {
    const r = prepared(this.db, 
        `UPDATE runner_predictions SET publish_attempts = publish_attempts + 1, publish_error = ?, publish_next_at = ?,
           lease_until = 0, lease_owner = NULL WHERE _id = ? AND status = 'predictable'`,
      )
      .run(error, nextAttemptAt.getTime(), jobId);
    return r.changes === 1;
  }

  async markPublishDead(jobId: string, reason: string, at: Date): Promise<boolean> {
    const r = prepared(this.db, 
        `UPDATE runner_predictions SET status = 'failed', error = ?, publish_error = ?, publish_attempts = publish_attempts + 1,
           failed_at = ?, dead_at = ?, updated_at = ?, lease_until = 0, lease_owner = NULL, ${notifyIfAsked('input', '?')} WHERE _id = ? AND status = 'predictable'`,
      )
      .run(reason, reason, at.getTime(), at.getTime(), at.getTime(), at.getTime(), jobId);
    return r.changes === 1;
  }

  async listDead(limit: number): Promise<RunnerRecord[]> {
    return (prepared(this.db, 'SELECT * FROM runner_predictions WHERE dead_at IS NOT NULL ORDER BY dead_at, _id LIMIT ?').all(limit) as Row[]).map(toRecord);
  }

  async replayDead(jobId: string, at: Date): Promise<boolean> {
    const r = prepared(this.db, 
        `UPDATE runner_predictions SET status = 'predictable', publish_attempts = 0, publish_next_at = ?, dead_at = NULL,
           error = NULL, failed_at = NULL, updated_at = ? WHERE _id = ? AND status = 'failed' AND dead_at IS NOT NULL`,
      )
      .run(at.getTime(), at.getTime(), jobId);
    return r.changes === 1;
  }

  async discardDead(jobId: string): Promise<boolean> {
    return prepared(this.db, 'UPDATE runner_predictions SET dead_at = NULL WHERE _id = ? AND dead_at IS NOT NULL').run(jobId).changes === 1;
  }

  async purgeDead(deadBefore: Date): Promise<number> {
    return prepared(this.db, 'UPDATE runner_predictions SET dead_at = NULL WHERE dead_at < ?').run(deadBefore.getTime()).changes;
  }

  async claimStalled(stalledBefore: Date, now: Date, limit: number): Promise<RunnerRecord[]> {
    return this.db.transaction(() => {
      const rows = prepared(this.db, "SELECT * FROM runner_predictions WHERE status = 'processing' AND updated_at < ? ORDER BY updated_at, _id LIMIT ?")
        .all(stalledBefore.getTime(), limit) as Row[];
      const bump = prepared(this.db, 'UPDATE runner_predictions SET updated_at = ?, drives = drives + 1 WHERE _id = ?');
      for (const r of rows) bump.run(now.getTime(), r._id);
      return rows.map((r) => ({ ...toRecord(r), updated_at: now, drives: r.drives + 1 }));
    })();
  }

  async markReady(jobId: string, at: Date, output: { bucket: string; object: string }): Promise<boolean> {
    return this.db.transaction(() => {
      const r = prepared(this.db, 
          `UPDATE runner_predictions SET status = 'ready', ready_at = ?, output_s3 = ?, updated_at = ?, ${notifyIfAsked('input', '?')}
           WHERE _id = ? AND status = 'predictable'`,
        )
        .run(at.getTime(), JSON.stringify(output), at.getTime(), at.getTime(), jobId);
      // The published document holds the results now (see the port).
      if (r.changes === 1) prepared(this.db, 'DELETE FROM frame_results WHERE job_id = ?').run(jobId);
      return r.changes === 1;
    })();
  }

  async markFailed(jobId: string, reason: string, at: Date, input?: VideoRef): Promise<boolean> {
    const r = prepared(this.db, 
        `INSERT INTO runner_predictions (_id, status, parameters, created_at, updated_at, failed_at, error, input, webhook_status, webhook_next_at)
         VALUES (?, 'failed', '{}', ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (_id) DO UPDATE SET status = 'failed', failed_at = excluded.failed_at,
           updated_at = excluded.updated_at, error = excluded.error, input = COALESCE(input, excluded.input),
           ${notifyIfAsked('COALESCE(input, excluded.input)', 'excluded.failed_at')}
         WHERE runner_predictions.status IN ('processing', 'predictable')`,
      )
      .run(jobId, at.getTime(), at.getTime(), at.getTime(), reason, input ? JSON.stringify(input) : null, webhookUrlOf(input) ? 'pending' : null, at.getTime());
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

  async countByStatus(): Promise<Partial<Record<RunnerStatus, number>>> {
    const rows = prepared(this.db, 'SELECT status, COUNT(*) AS n FROM runner_predictions GROUP BY status').all() as Array<{ status: RunnerStatus; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async countActive(owner: string, dispatched: readonly string[]): Promise<number> {
    const ids = JSON.stringify(dispatched);
    const row = prepared(this.db, 
        `SELECT
           (SELECT COUNT(*) FROM (SELECT DISTINCT value AS id FROM json_each(?)) d LEFT JOIN runner_predictions r ON r._id = d.id
             WHERE r._id IS NULL OR r.status IN ('processing', 'predictable'))
         + (SELECT COUNT(*) FROM runner_predictions WHERE json_extract(input, '$.owner') = ? AND status IN ('processing', 'predictable')
             AND _id NOT IN (SELECT value FROM json_each(?))) AS n`,
      )
      .get(ids, owner, ids) as { n: number };
    return row.n;
  }

  async deleteAll(): Promise<void> {
    this.db.transaction(() => {
      prepared(this.db, 'DELETE FROM frame_results').run();
      prepared(this.db, 'DELETE FROM segment_totals').run();
      prepared(this.db, 'DELETE FROM runner_predictions').run();
    })();
  }

  async claimNotifications(c: Claim): Promise<Notification[]> {
    const now = c.now.getTime();
    return this.db.transaction(() => {
      const rows = prepared(this.db, 
          `SELECT * FROM runner_predictions WHERE webhook_status = 'pending' AND webhook_next_at <= ? AND status IN ('ready', 'failed')
             AND (webhook_lease_until <= ? OR webhook_lease_owner = ?) ORDER BY created_at, _id LIMIT ?`,
        )
        .all(now, now, c.owner, c.limit) as NotificationRow[];
      const lease = prepared(this.db, 'UPDATE runner_predictions SET webhook_lease_until = ?, webhook_lease_owner = ? WHERE _id = ?');
      for (const r of rows) lease.run(now + c.leaseMs, c.owner, r._id);
      return rows.map(toNotification);
    })();
  }

  async markNotified(n: NotificationRef, at: Date): Promise<boolean> {
    return prepared(this.db, `UPDATE runner_predictions SET webhook_status = 'delivered', webhook_delivered_at = ?, ${FREE_LEASE} WHERE ${THE_PENDING}`).run(at.getTime(), ...refArgs(n)).changes === 1;
  }

  async recordNotificationFailure(n: NotificationRef, error: string, nextAttemptAt: Date): Promise<boolean> {
    return (
      prepared(this.db, `UPDATE runner_predictions SET webhook_attempts = webhook_attempts + 1, webhook_error = ?, webhook_next_at = ?, ${FREE_LEASE} WHERE ${THE_PENDING}`)
        .run(error, nextAttemptAt.getTime(), ...refArgs(n)).changes === 1
    );
  }

  async markNotificationDead(n: NotificationRef, error: string, at: Date): Promise<boolean> {
    return (
      prepared(this.db, `UPDATE runner_predictions SET webhook_status = 'dead', webhook_attempts = webhook_attempts + 1, webhook_error = ?, webhook_dead_at = ?, ${FREE_LEASE} WHERE ${THE_PENDING}`)
        .run(error, at.getTime(), ...refArgs(n)).changes === 1
    );
  }

  async listDeadNotifications(limit: number): Promise<Notification[]> {
    const rows = prepared(this.db, "SELECT * FROM runner_predictions WHERE webhook_status = 'dead' AND status IN ('ready', 'failed') ORDER BY webhook_dead_at, _id LIMIT ?")
      .all(limit) as NotificationRow[];
    return rows.map(toNotification);
  }

  async replayNotification(jobId: string, at: Date): Promise<boolean> {
    const r = prepared(this.db, 
        `UPDATE runner_predictions SET webhook_status = 'pending', webhook_attempts = 0, webhook_next_at = ?, webhook_dead_at = NULL
         WHERE _id = ? AND webhook_status = 'dead' AND status IN ('ready', 'failed')`,
      )
      .run(at.getTime(), jobId);
    return r.changes === 1;
  }

  async discardNotification(jobId: string): Promise<boolean> {
    return prepared(this.db, "UPDATE runner_predictions SET webhook_status = 'discarded' WHERE _id = ? AND webhook_status = 'dead'").run(jobId).changes === 1;
  }

  async purgeDeadNotifications(deadBefore: Date): Promise<number> {
    return prepared(this.db, "UPDATE runner_predictions SET webhook_status = 'discarded' WHERE webhook_status = 'dead' AND webhook_dead_at < ?").run(deadBefore.getTime()).changes;
  }

  async failUndispatched(job: { _id: string; created_at: Date; input: VideoRef; traceparent?: string }, reason: string, at: Date): Promise<boolean> {
    const r = prepared(this.db, 
        `INSERT INTO runner_predictions (_id, status, parameters, created_at, updated_at, failed_at, error, input, traceparent, undispatched, webhook_status, webhook_next_at)
         VALUES (?, 'failed', '{}', ?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (_id) DO NOTHING`,
      )
      .run(job._id, job.created_at.getTime(), at.getTime(), at.getTime(), reason, JSON.stringify(job.input), job.traceparent ?? null, webhookUrlOf(job.input) ? 'pending' : null, at.getTime());
    return r.changes === 1;
  }

  async forgetUndispatched(jobId: string): Promise<boolean> {
    return prepared(this.db, 'DELETE FROM runner_predictions WHERE _id = ? AND undispatched = 1').run(jobId).changes === 1;
  }
}

/** The webhook notification's bookkeeping (its own lease: a record's publish lease must not delay it). */
const NOTIFICATION_COLUMNS = {
  webhook_status: 'TEXT',
  webhook_attempts: 'INTEGER NOT NULL DEFAULT 0',
  webhook_next_at: 'INTEGER NOT NULL DEFAULT 0',
  webhook_error: 'TEXT',
  webhook_delivered_at: 'INTEGER',
  webhook_dead_at: 'INTEGER',
  webhook_lease_until: 'INTEGER NOT NULL DEFAULT 0',
  webhook_lease_owner: 'TEXT',
  undispatched: 'INTEGER NOT NULL DEFAULT 0',
};

interface NotificationRow extends Row {
  webhook_attempts: number;
  webhook_next_at: number;
  webhook_error: string | null;
  webhook_dead_at: number | null;
}

/**
 * SET clauses that make the notification pending (due at `at`, attempts 0) when `input` asks for a
 * webhook: part of the very write that makes the job final, so the two cannot be separated.
 */
const notifyIfAsked = (input: string, at: string) =>
  `webhook_status = CASE WHEN COALESCE(json_extract(${input}, '$.options.webhook_url'), '') <> '' THEN 'pending' ELSE webhook_status END,
   webhook_attempts = 0, webhook_next_at = ${at}, webhook_error = NULL, webhook_dead_at = NULL, webhook_lease_until = 0, webhook_lease_owner = NULL`;

const FREE_LEASE = 'webhook_lease_until = 0, webhook_lease_owner = NULL';
/** The pending notification of the job's current ending (see `NotificationRef`). */
const THE_PENDING = "_id = ? AND status = ? AND (CASE status WHEN 'ready' THEN ready_at ELSE failed_at END) = ? AND webhook_status = 'pending'";
const refArgs = (n: NotificationRef) => [n.event_id, n.status, n.occurred_at.getTime()];

const toNotification = (r: NotificationRow): Notification => {
  const input = r.input !== null ? (JSON.parse(r.input) as VideoRef) : undefined;
  return {
    event_id: r._id,
    status: r.status as NotifiedStatus,
    webhook_url: webhookUrlOf(input) ?? '',
    occurred_at: new Date((r.status === 'ready' ? r.ready_at : r.failed_at) ?? r.updated_at),
    created_at: new Date(r.created_at),
    ...(r.status === 'failed' && r.error !== null ? { reason: r.error } : {}),
    attempts: r.webhook_attempts,
    next_attempt_at: new Date(r.webhook_next_at),
    ...(r.webhook_error !== null ? { last_error: r.webhook_error } : {}),
    ...(r.webhook_dead_at !== null ? { dead_at: new Date(r.webhook_dead_at) } : {}),
    ...(r.traceparent !== null ? { traceparent: r.traceparent } : {}),
  };
};
