import { prepared, type SqliteDatabase } from '../sqlite/database.js';
import { addColumns, claimRows, LEASE_COLUMNS } from '../sqlite/leases.js';
import { DuplicateIdempotencyKeyError, type OutboxStore, type Purged } from '../../ports/outbox-store.js';
import { VIDEO_SUBMITTED, type Claim, type NewOutboxEvent, type OutboxEvent, type OutboxStatus } from '../../core/job.js';
import { TOPICS } from '../../core/topics.js';

interface Row {
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

const toEvent = (r: Row): OutboxEvent => ({
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

/** `main_db.outbox` as a SQLite table. */
export class SqliteOutboxStore implements OutboxStore {
  constructor(private readonly db: SqliteDatabase) {
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
  }

  async insert(e: NewOutboxEvent, idempotencyKey?: string): Promise<void> {
    try {
      prepared(this.db, 
          `INSERT INTO outbox (_id, event_type, aggregate_type, aggregate_id, topic, status, payload, created_at, next_attempt_at, traceparent, idempotency_key)
           VALUES (?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?)`,
        )
        .run(e._id, e.event_type, e.aggregate_type, e.aggregate_id, e.topic, JSON.stringify(e.payload), e.created_at.getTime(), e.created_at.getTime(), e.traceparent ?? null, idempotencyKey ?? null);
    } catch (err) {
      if (idempotencyKey !== undefined && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && /idempotency_key/.test(String(err))) {
        throw new DuplicateIdempotencyKeyError(idempotencyKey);
      }
      throw err;
    }
  }

  async findByIdempotencyKey(key: string): Promise<OutboxEvent | undefined> {
    const row = prepared(this.db, 'SELECT * FROM outbox WHERE idempotency_key = ?').get(key) as Row | undefined;
    return row && toEvent(row);
  }

  async claimDue(c: Claim): Promise<OutboxEvent[]> {
    return claimRows<Row>(this.db, 'outbox', 'new', c, 'next_attempt_at').map(toEvent);
  }

  async markSent(ids: readonly string[], at: Date): Promise<number> {
    const mark = prepared(this.db, "UPDATE outbox SET status = 'sent', sent_at = ?, lease_until = 0, lease_owner = NULL WHERE _id = ? AND status = 'new'");
    return this.db.transaction(() => ids.reduce((n, id) => n + mark.run(at.getTime(), id).changes, 0))();
  }

  async recordFailure(id: string, error: string, nextAttemptAt: Date): Promise<boolean> {
    const r = prepared(this.db, "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, lease_until = 0, lease_owner = NULL WHERE _id = ? AND status = 'new'")
      .run(error, nextAttemptAt.getTime(), id);
    return r.changes === 1;
  }

  async markDead(id: string, error: string, at: Date): Promise<boolean> {
    const r = prepared(this.db, "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ?, dead_at = ?, lease_until = 0, lease_owner = NULL WHERE _id = ? AND status = 'new'")
      .run(error, at.getTime(), id);
    return r.changes === 1;
  }

  async listDead(limit: number): Promise<OutboxEvent[]> {
    return (prepared(this.db, "SELECT * FROM outbox WHERE status = 'dead' ORDER BY dead_at, _id LIMIT ?").all(limit) as Row[]).map(toEvent);
  }

  async replay(id: string, at: Date): Promise<boolean> {
    const r = prepared(this.db, "UPDATE outbox SET status = 'new', attempts = 0, next_attempt_at = ?, dead_at = NULL WHERE _id = ? AND status = 'dead'")
      .run(at.getTime(), id);
    return r.changes === 1;
  }

  async discard(id: string): Promise<boolean> {
    return prepared(this.db, "DELETE FROM outbox WHERE _id = ? AND status = 'dead'").run(id).changes === 1;
  }

  async purge(sentBefore: Date, deadBefore: Date): Promise<Purged> {
    return this.db.transaction(() => ({
      sent: prepared(this.db, "DELETE FROM outbox WHERE status = 'sent' AND sent_at < ?").run(sentBefore.getTime()).changes,
      dead: prepared(this.db, "DELETE FROM outbox WHERE status = 'dead' AND dead_at < ?").run(deadBefore.getTime()).changes,
    }))();
  }

  async get(eventId: string): Promise<OutboxEvent | undefined> {
    const row = prepared(this.db, 'SELECT * FROM outbox WHERE _id = ?').get(eventId) as Row | undefined;
    return row && toEvent(row);
  }

  async list(): Promise<OutboxEvent[]> {
    return (prepared(this.db, 'SELECT * FROM outbox ORDER BY created_at, _id').all() as Row[]).map(toEvent);
  }

  async countByStatus(): Promise<Partial<Record<OutboxStatus, number>>> {
    const rows = prepared(this.db, 'SELECT status, COUNT(*) AS n FROM outbox GROUP BY status').all() as Array<{ status: OutboxStatus; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async idsOfOwner(owner: string, statuses: readonly OutboxStatus[]): Promise<string[]> {
    const rows = prepared(this.db, "SELECT _id FROM outbox WHERE json_extract(payload, '$.owner') = ? AND status IN (SELECT value FROM json_each(?))")
      .all(owner, JSON.stringify(statuses)) as Array<{ _id: string }>;
    return rows.map((r) => r._id);
  }

  async deleteAll(): Promise<void> {
    prepared(this.db, 'DELETE FROM outbox').run();
  }
}
