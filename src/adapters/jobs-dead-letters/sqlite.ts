import { prepared, type SqliteDatabase } from '../sqlite/database.js';
import { ensureOutboxSchema, toEvent, type OutboxRow } from '../sqlite/outbox-schema.js';
import type { JobsDeadLetters, Purged } from '../../ports/jobs-dead-letters.js';
import type { OutboxEvent } from '../../core/job.js';

/** The jobs outbox's dead letters and retention in SQLite (`outbox` rows `dead`, and `sent` ones past retention). */
export class SqliteJobsDeadLetters implements JobsDeadLetters {
  constructor(private readonly db: SqliteDatabase) {
    ensureOutboxSchema(db);
  }

  async listDead(limit: number): Promise<OutboxEvent[]> {
    return (prepared(this.db, "SELECT * FROM outbox WHERE status = 'dead' ORDER BY dead_at, _id LIMIT ?").all(limit) as OutboxRow[]).map(toEvent);
  }

  async replay(id: string, at: Date): Promise<boolean> {
    const r = prepared(this.db, "UPDATE outbox SET status = 'new', attempts = 0, next_attempt_at = ?, dead_at = NULL WHERE _id = ? AND status = 'dead'").run(
      at.getTime(),
      id,
    );
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
}
