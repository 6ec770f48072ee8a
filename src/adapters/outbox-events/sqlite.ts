import { prepared, type SqliteDatabase } from '../sqlite/database.js';
import { ensureOutboxSchema, toEvent, type OutboxRow } from '../sqlite/outbox-schema.js';
import type { OutboxEvents } from '../../ports/outbox-events.js';
import type { OutboxEvent, OutboxStatus } from '../../core/job.js';

/** Reads of the jobs outbox in SQLite (`outbox`). */
export class SqliteOutboxEvents implements OutboxEvents {
  constructor(private readonly db: SqliteDatabase) {
    ensureOutboxSchema(db);
  }

  async get(eventId: string): Promise<OutboxEvent | undefined> {
    const row = prepared(this.db, 'SELECT * FROM outbox WHERE _id = ?').get(eventId) as OutboxRow | undefined;
    return row && toEvent(row);
  }

  async list(): Promise<OutboxEvent[]> {
    return (prepared(this.db, 'SELECT * FROM outbox ORDER BY created_at, _id').all() as OutboxRow[]).map(toEvent);
  }

  async countByStatus(): Promise<Partial<Record<OutboxStatus, number>>> {
    const rows = prepared(this.db, 'SELECT status, COUNT(*) AS n FROM outbox GROUP BY status').all() as Array<{ status: OutboxStatus; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async idsOfOwner(owner: string, statuses: readonly OutboxStatus[]): Promise<string[]> {
    const rows = prepared(this.db, "SELECT _id FROM outbox WHERE json_extract(payload, '$.owner') = ? AND status IN (SELECT value FROM json_each(?))").all(
      owner,
      JSON.stringify(statuses),
    ) as Array<{ _id: string }>;
    return rows.map((r) => r._id);
  }

  async clearBefore(cutoff: Date): Promise<string[]> {
    return this.db.transaction(() => {
      const ids = (prepared(this.db, 'SELECT _id FROM outbox WHERE created_at < ?').all(cutoff.getTime()) as Array<{ _id: string }>).map((r) => r._id);
      prepared(this.db, 'DELETE FROM outbox WHERE created_at < ?').run(cutoff.getTime());
      return ids;
    })();
  }
}
