import { prepared, type SqliteDatabase } from '../sqlite/database.js';
import { claimRows } from '../sqlite/leases.js';
import { ensureOutboxSchema, toEvent, type OutboxRow } from '../sqlite/outbox-schema.js';
import { DuplicateIdempotencyKeyError, type JobsOutbox } from '../../ports/jobs-outbox.js';
import type { Claim, NewOutboxEvent, OutboxEvent } from '../../core/job.js';

/** The jobs outbox in SQLite (`outbox`; see `sqlite/outbox-schema.ts`). */
export class SqliteJobsOutbox implements JobsOutbox {
  constructor(private readonly db: SqliteDatabase) {
    ensureOutboxSchema(db);
  }

  async insert(e: NewOutboxEvent, idempotencyKey?: string): Promise<void> {
    try {
      prepared(
        this.db,
        `INSERT INTO outbox (_id, event_type, aggregate_type, aggregate_id, topic, status, payload, created_at, next_attempt_at, traceparent, idempotency_key)
           VALUES (?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?)`,
      ).run(
        e._id,
        e.event_type,
        e.aggregate_type,
        e.aggregate_id,
        e.topic,
        JSON.stringify(e.payload),
        e.created_at.getTime(),
        e.created_at.getTime(),
        e.traceparent ?? null,
        idempotencyKey ?? null,
      );
    } catch (err) {
      if (idempotencyKey !== undefined && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && /idempotency_key/.test(String(err))) {
        throw new DuplicateIdempotencyKeyError(idempotencyKey);
      }
      throw err;
    }
  }

  async findByIdempotencyKey(key: string): Promise<OutboxEvent | undefined> {
    const row = prepared(this.db, 'SELECT * FROM outbox WHERE idempotency_key = ?').get(key) as OutboxRow | undefined;
    return row && toEvent(row);
  }

  async claimDue(c: Claim): Promise<OutboxEvent[]> {
    return claimRows<OutboxRow>(this.db, 'outbox', 'new', c, 'next_attempt_at').map(toEvent);
  }

  async markSent(ids: readonly string[], at: Date): Promise<number> {
    const mark = prepared(this.db, "UPDATE outbox SET status = 'sent', sent_at = ?, lease_until = 0, lease_owner = NULL WHERE _id = ? AND status = 'new'");
    return this.db.transaction(() => ids.reduce((n, id) => n + mark.run(at.getTime(), id).changes, 0))();
  }

  async recordFailure(id: string, error: string, nextAttemptAt: Date): Promise<boolean> {
    const r = prepared(
      this.db,
      "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, lease_until = 0, lease_owner = NULL WHERE _id = ? AND status = 'new'",
    ).run(error, nextAttemptAt.getTime(), id);
    return r.changes === 1;
  }

  async markDead(id: string, error: string, at: Date): Promise<boolean> {
    const r = prepared(
      this.db,
      "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ?, dead_at = ?, lease_until = 0, lease_owner = NULL WHERE _id = ? AND status = 'new'",
    ).run(error, at.getTime(), id);
    return r.changes === 1;
  }
}
