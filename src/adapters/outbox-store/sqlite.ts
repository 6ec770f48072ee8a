import type { SqliteDatabase } from '../sqlite/database.js';
import { addColumns, claimRows, LEASE_COLUMNS } from '../sqlite/leases.js';
import type { OutboxStore } from '../../ports/outbox-store.js';
import type { Claim, OutboxEvent, OutboxStatus } from '../../core/job.js';

interface Row {
  _id: string;
  status: OutboxStatus;
  payload: string;
  created_at: number;
  sent_at: number | null;
}

const toEvent = (r: Row): OutboxEvent => ({
  _id: r._id,
  status: r.status,
  payload: JSON.parse(r.payload) as OutboxEvent['payload'],
  created_at: new Date(r.created_at),
  ...(r.sent_at !== null ? { sent_at: new Date(r.sent_at) } : {}),
});

/** `main_db.outbox` as a SQLite table. */
export class SqliteOutboxStore implements OutboxStore {
  constructor(private readonly db: SqliteDatabase) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS outbox (
        _id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        sent_at INTEGER,
        lease_until INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT
      );
      CREATE INDEX IF NOT EXISTS outbox_status_created ON outbox (status, created_at);
    `);
    addColumns(db, 'outbox', LEASE_COLUMNS);
  }

  async insert(e: OutboxEvent): Promise<void> {
    this.db
      .prepare('INSERT INTO outbox (_id, status, payload, created_at) VALUES (?, ?, ?, ?)')
      .run(e._id, e.status, JSON.stringify(e.payload), e.created_at.getTime());
  }

  async claimNew(c: Claim): Promise<OutboxEvent[]> {
    return claimRows<Row>(this.db, 'outbox', 'new', c).map(toEvent);
  }

  async markSent(eventId: string, at: Date): Promise<boolean> {
    const r = this.db.prepare("UPDATE outbox SET status = 'sent', sent_at = ? WHERE _id = ? AND status = 'new'").run(at.getTime(), eventId);
    return r.changes === 1;
  }

  async get(eventId: string): Promise<OutboxEvent | undefined> {
    const row = this.db.prepare('SELECT * FROM outbox WHERE _id = ?').get(eventId) as Row | undefined;
    return row && toEvent(row);
  }

  async list(): Promise<OutboxEvent[]> {
    return (this.db.prepare('SELECT * FROM outbox ORDER BY created_at, _id').all() as Row[]).map(toEvent);
  }

  async countByStatus(): Promise<Partial<Record<OutboxStatus, number>>> {
    const rows = this.db.prepare('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status').all() as Array<{ status: OutboxStatus; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async deleteAll(): Promise<void> {
    this.db.prepare('DELETE FROM outbox').run();
  }
}
