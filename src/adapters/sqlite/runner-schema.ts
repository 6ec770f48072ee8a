import type { SqliteDatabase } from './database.js';
import { addColumns, LEASE_COLUMNS } from './leases.js';

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
  warnings: 'TEXT',
};

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

const ready = new WeakSet<SqliteDatabase>();

/**
 * `runner_db.runner_predictions`, `segment_totals`, `frame_results` and `runner_cleanup` (the
 * cleanup cutoff, one row) as SQLite tables, shared by
 * every runner port's adapter on this database: whichever adapter is made first creates (or, for a
 * database of an earlier version, completes) them; idempotent, and done once per database.
 */
export function ensureRunnerSchema(db: SqliteDatabase): void {
  if (ready.has(db)) return;
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
    CREATE TABLE IF NOT EXISTS runner_cleanup (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      cutoff INTEGER NOT NULL
    );
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
  ready.add(db);
}
