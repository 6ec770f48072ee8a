import type { SqliteDatabase } from './database.js';
import { addColumns, LEASE_COLUMNS } from './leases.js';
import { VIDEO_SUBMITTED, type OutboxEvent, type OutboxStatus } from '../../core/job.js';
import { TOPICS } from '../../core/topics.js';

/** An `outbox` row. */
export interface OutboxRow {
  _id: string;
  event_type: string;
  aggregate_type: string;
  aggregate_id: string | null;
  topic: string;
  status: OutboxStatus;
  payload: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  traceparent: string | null;
  sent_at: number | null;
  dead_at: number | null;
}

export const toEvent = (r: OutboxRow): OutboxEvent => ({
  _id: r._id,
  event_type: r.event_type,
  aggregate_type: r.aggregate_type,
  aggregate_id: r.aggregate_id ?? r._id,
  topic: r.topic,
  status: r.status,
  payload: JSON.parse(r.payload) as OutboxEvent['payload'],
  created_at: new Date(r.created_at),
  attempts: r.attempts,
  next_attempt_at: new Date(r.next_attempt_at),
  ...(r.last_error !== null ? { last_error: r.last_error } : {}),
  ...(r.traceparent !== null ? { traceparent: r.traceparent } : {}),
  ...(r.sent_at !== null ? { sent_at: new Date(r.sent_at) } : {}),
  ...(r.dead_at !== null ? { dead_at: new Date(r.dead_at) } : {}),
});

/** Envelope columns a database made by version 0.1 lacks (its events were all `video.submitted`). */
const ENVELOPE_COLUMNS = {
  event_type: `TEXT NOT NULL DEFAULT '${VIDEO_SUBMITTED}'`,
  aggregate_type: "TEXT NOT NULL DEFAULT 'job'",
  aggregate_id: 'TEXT',
  topic: `TEXT NOT NULL DEFAULT '${TOPICS.outboxEvents}'`,
  attempts: 'INTEGER NOT NULL DEFAULT 0',
  next_attempt_at: 'INTEGER NOT NULL DEFAULT 0',
  last_error: 'TEXT',
  traceparent: 'TEXT',
  dead_at: 'INTEGER',
  idempotency_key: 'TEXT',
};

const ready = new WeakSet<SqliteDatabase>();

/**
 * `main_db.outbox` as a SQLite table, shared by every jobs-outbox port's adapter on this database:
 * whichever is made first creates (or completes) it; idempotent, done once per database.
 */
export function ensureOutboxSchema(db: SqliteDatabase): void {
  if (ready.has(db)) return;
  db.exec(`
    CREATE TABLE IF NOT EXISTS outbox (
      _id TEXT PRIMARY KEY,
      status TEXT NOT NULL,
      payload TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      sent_at INTEGER
    );
  `);
  addColumns(db, 'outbox', { ...LEASE_COLUMNS, ...ENVELOPE_COLUMNS });
  db.exec(`
    CREATE INDEX IF NOT EXISTS outbox_status_created ON outbox (status, created_at);
    CREATE UNIQUE INDEX IF NOT EXISTS outbox_idempotency_key ON outbox (idempotency_key);
    CREATE INDEX IF NOT EXISTS outbox_owner_status ON outbox (json_extract(payload, '$.owner'), status);
  `);
  ready.add(db);
}
